namespace Gateway.Storage.Content;

/// <summary>A blob larger than <see cref="StorageOptions.MaxContentBytes"/> was refused; nothing was stored.</summary>
public sealed class ContentTooLargeException(string name, long limit)
    : IOException($"{name}: larger than Storage:MaxContentBytes ({limit} bytes); nothing was stored")
{
    public long Limit { get; } = limit;
}
