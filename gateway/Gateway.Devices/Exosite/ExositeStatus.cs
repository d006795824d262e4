namespace Gateway.Devices.Exosite;

/// <summary>Outcome of an Exosite API call; <see cref="ExositeCoap"/> maps it to the codes of peers.md §A.1.</summary>
public enum ExositeStatus : byte
{
    /// <summary>Written (2.04).</summary>
    Changed,
    /// <summary>Read, activated, listed (2.05).</summary>
    Content,
    /// <summary>Malformed body (4.00; Exosite lists 4.00 as unused, but a body we cannot decode has no better code).</summary>
    BadRequest,
    /// <summary>Unknown or malformed CIK (4.01).</summary>
    Unauthorized,
    /// <summary>Alias not accessible with this CIK (4.03).</summary>
    Forbidden,
    /// <summary>No device awaiting activation, no content (4.04).</summary>
    NotFound,
    /// <summary>A dataport written again within the minimum interval (<see cref="ExositeOptions.TooFastCode"/>).</summary>
    TooFast,
    /// <summary>Storage refused the write (5.03 + Max-Age).</summary>
    Unavailable,
    /// <summary>A failed CIK from a source over its failure limit: no answer at all (reliability.md S6).</summary>
    Silent,
}
