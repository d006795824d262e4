namespace Gateway.Storage.Outbox;

/// <summary>Why a row was moved to the dead-letter table; a closed set, so it can label a metric.</summary>
public enum DeadLetterCause
{
    /// <summary>The row fails the forwarder's own validation (it could never be sent).</summary>
    Invalid,
    /// <summary>The row alone is larger than the packet limit (Bridge:MaxPacketBytes or the broker's Maximum Packet Size).</summary>
    TooLarge,
    /// <summary>The broker (or the client) refused it with a PUBACK reason code that no retry changes.</summary>
    Refused,
    /// <summary>Sent alone, it was in flight each time a healthy connection was lost shortly after (the broker closes on it).</summary>
    KillsConnection,
}

public static class DeadLetterCauses
{
    /// <summary>The stored and shown name: <c>invalid</c>, <c>too_large</c>, <c>refused</c>, <c>kills_connection</c>.</summary>
    public static string Name(this DeadLetterCause cause) => cause switch
    {
        DeadLetterCause.Invalid => "invalid",
        DeadLetterCause.TooLarge => "too_large",
        DeadLetterCause.Refused => "refused",
        _ => "kills_connection",
    };
}
