namespace Gateway.Devices.Exosite;

/// <summary>Settings of the Exosite-compatible API (section <c>Exosite</c> of the configuration).</summary>
public sealed class ExositeOptions
{
    /// <summary>
    /// Minimum time between two writes to one dataport of one device; a faster write is rejected with
    /// <see cref="TooFastCode"/> (peers.md §A.1: "Data cannot be written faster than a rate of once per
    /// second"). Zero disables the check.
    /// </summary>
    public TimeSpan MinWriteInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// CoAP code (class*32+detail, e.g. 0x8C = 4.12) for a write faster than <see cref="MinWriteInterval"/>.
    /// §A.1 lists 4.12 Precondition Failed among the codes Exosite uses without tying it to an endpoint,
    /// and the HTTP twin (§A.4) refuses points under 1 s apart with 409; 4.12 is the CoAP code for
    /// "a condition of the request was not met".
    /// </summary>
    public byte TooFastCode { get; set; } = 0x8C;

    /// <summary>
    /// Aliases a device may read and write; empty means every alias. Anything else answers 4.03
    /// ("The given alias couldn't be accessed with the given CIK", §A.1).
    /// </summary>
    public ISet<string> AllowedAliases { get; set; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Longest alias accepted (UTF-8 bytes); a longer one answers 4.03 like an inaccessible alias.</summary>
    public int MaxAliasLength { get; set; } = 64;

    /// <summary>
    /// Max-Age (s) of an observed read's responses; the gateway also re-sends the value when it runs out
    /// (§A.1 observed read). Capped at 255: libexositecoap reads Max-Age only when it is one byte (§A.2).
    /// </summary>
    public uint ObserveMaxAge { get; set; } = 60;

    /// <summary>Largest content blob served by <c>/provision/download</c> (read block by block from its file, never held whole). Default 1 GiB.</summary>
    public long MaxDownloadBytes { get; set; } = 1L << 30;

    /// <summary>Values kept per dataport for <c>/rpc</c> <c>read</c> (bounded by the store's own history limit too).</summary>
    public int RpcReadHistory { get; set; } = 1000;

    /// <summary>Most calls accepted in one <c>/rpc</c> request.</summary>
    public int MaxRpcCalls { get; set; } = 64;

    /// <summary>Largest value accepted in a write (bytes of UTF-8).</summary>
    public int MaxValueBytes { get; set; } = 4096;

    /// <summary>Whether <paramref name="alias"/> may be used (§A.1 4.03).</summary>
    public bool MayAccess(string alias) =>
        alias.Length > 0 && System.Text.Encoding.UTF8.GetByteCount(alias) <= MaxAliasLength && (AllowedAliases.Count == 0 || AllowedAliases.Contains(alias));

    /// <summary>Errors in the settings, one line each.</summary>
    public IEnumerable<string> Validate()
    {
        if (MinWriteInterval < TimeSpan.Zero) yield return "Exosite:MinWriteInterval must not be negative";
        if (ObserveMaxAge is 0 or > 255) yield return $"Exosite:ObserveMaxAge: {ObserveMaxAge} must be 1..255 (libexositecoap reads one byte)";
        if (TooFastCode >> 5 is not (4 or 5)) yield return "Exosite:TooFastCode must be a 4.xx or 5.xx code";
        if (MaxAliasLength < 1) yield return "Exosite:MaxAliasLength must be positive";
        if (MaxDownloadBytes < 0) yield return "Exosite:MaxDownloadBytes must not be negative";
        if (RpcReadHistory < 1) yield return "Exosite:RpcReadHistory must be positive";
        if (MaxRpcCalls < 1) yield return "Exosite:MaxRpcCalls must be positive";
        if (MaxValueBytes < 1) yield return "Exosite:MaxValueBytes must be positive";
    }
}
