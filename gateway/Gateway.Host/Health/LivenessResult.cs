namespace Gateway.Host.Health;

/// <summary>Outcome of one <see cref="ILivenessProbe"/> check.</summary>
public readonly record struct LivenessResult(bool Alive, string Detail)
{
    public static LivenessResult Ok(string detail = "ok") => new(true, detail);

    public static LivenessResult Failed(string detail) => new(false, detail);
}
