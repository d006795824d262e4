namespace Gateway.Host.Health;

/// <summary>State of the upstream (cloud) link as the host reports it.</summary>
public enum LinkState
{
    /// <summary><c>Mqtt:Host</c> is empty, or no uplink is part of this build: the gateway buffers only.</summary>
    Disabled,

    /// <summary>An uplink is configured and its session is up.</summary>
    Up,

    /// <summary>An uplink is configured and its session is down (reconnecting).</summary>
    Down,
}
