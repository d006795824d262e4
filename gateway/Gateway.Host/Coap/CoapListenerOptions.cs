using System.Net;

namespace Gateway.Host.Coap;

/// <summary>The <c>Coap</c> configuration section (README, "Configuration").</summary>
public sealed class CoapListenerOptions
{
    public const string Section = "Coap";

    /// <summary>Bind address; <c>::</c> is dual-stack (IPv4 peers arrive as IPv4-mapped IPv6).</summary>
    public string Address { get; set; } = "::";

    public int Port { get; set; } = 5683;

    /// <summary>
    /// Receive threads on the socket; 0 = one per processor. One by default: every waiting thread wakes for each
    /// datagram on a shared socket, and on the 2-core reference machine (quiet, NativeAOT, issue #21) one thread
    /// answered 1.9× / 1.8× the GETs of two at N = 16 / 256 at 0.65× the CPU per response; two only win on
    /// latency with a single request outstanding (25 vs 57 µs p50).
    /// </summary>
    public int ReceiveThreads { get; set; } = 1;

    /// <summary>Datagrams per recvmmsg/sendmmsg on Linux; 1 = one recvfrom/sendto per datagram (the portable path, used on other OSes).</summary>
    public int SocketBatch { get; set; } = Gateway.Coap.Transport.UdpDatagramTransport.DefaultBatchSize;

    /// <summary>
    /// How long a receive thread polls its socket for the next datagram before it sleeps, when the last one came that
    /// soon and the thread answered it itself (<see cref="Gateway.Coap.Transport.BusyPoll"/>; Linux with SocketBatch
    /// above 1); 0 = always sleep.
    /// </summary>
    public int BusyPollMicroseconds { get; set; } = (int)Gateway.Coap.Transport.UdpDatagramTransport.DefaultBusyPoll.TotalMicroseconds;

    // RFC 7252 §4.8 transmission parameters; EXCHANGE_LIFETIME and the other derived times follow (§4.8.2).
    public double AckTimeoutSeconds { get; set; } = 2;
    public double AckRandomFactor { get; set; } = 1.5;
    public int MaxRetransmit { get; set; } = 4;
    public int Nstart { get; set; } = 1;

    /// <summary>PROBING_RATE in bytes per second (§4.7).</summary>
    public double ProbingRate { get; set; } = 1;

    public double DefaultLeisureSeconds { get; set; } = 5;

    /// <summary>
    /// The largest Block1/Block2 block (RFC 7959 §2.2), a power of two 16..1024: responses are sliced in it, and a
    /// Block1 upload in larger blocks is asked for blocks this size in the 2.31 (§2.5). Smaller for a 6LoWPAN link.
    /// </summary>
    public int MaxBlockSize { get; set; } = 512;
    public int SeparateResponseDelayMilliseconds { get; set; } = 500;
    public int DeduplicationCapacity { get; set; } = 16384;

    /// <summary>One-line problems naming the key, e.g. <c>Coap:Port: 70000 is not a port</c>.</summary>
    public IEnumerable<string> Validate()
    {
        if (!IPAddress.TryParse(Address, out _)) yield return $"{Section}:Address: '{Address}' is not an IP address";
        if (Port is < 0 or > 65535) yield return $"{Section}:Port: {Port} is not a port";
        if (SocketBatch is < 1 or > 1024) yield return $"{Section}:SocketBatch: {SocketBatch} must be 1..1024";
        if (BusyPollMicroseconds is < 0 or > 10_000) yield return $"{Section}:BusyPollMicroseconds: {BusyPollMicroseconds} must be 0..10000";
        var own = TransmissionProblems().ToList();
        foreach (var problem in own) yield return problem;
        // The endpoint's own checks name its option names; with a bad transmission key they would only repeat it.
        if (own.Count > 0) yield break;
        foreach (var problem in ToEndpointOptions().Validate()) yield return $"{Section}:{problem}";
    }

    /// <summary>RFC 7252 §4.8.1: the limits within which a transmission parameter may be changed.</summary>
    private IEnumerable<string> TransmissionProblems()
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        if (!(AckTimeoutSeconds >= 1) || AckTimeoutSeconds > 600)
            yield return string.Create(c, $"{Section}:AckTimeoutSeconds: {AckTimeoutSeconds} must be 1..600 (RFC 7252 §4.8.1: not below 1 s)");
        if (!(AckRandomFactor >= 1) || AckRandomFactor > 10)
            yield return string.Create(c, $"{Section}:AckRandomFactor: {AckRandomFactor} must be 1.0..10 (RFC 7252 §4.8.1: not below 1.0)");
        if (MaxRetransmit is < 0 or > 20) yield return string.Create(c, $"{Section}:MaxRetransmit: {MaxRetransmit} must be 0..20");
        if (Nstart is < 1 or > 64) yield return string.Create(c, $"{Section}:Nstart: {Nstart} must be 1..64 (RFC 7252 §4.7)");
        if (!(ProbingRate > 0) || ProbingRate > 1e9) yield return string.Create(c, $"{Section}:ProbingRate: {ProbingRate} must be more than 0 bytes/s (RFC 7252 §4.7)");
        if (!(DefaultLeisureSeconds >= 0) || DefaultLeisureSeconds > 600)
            yield return string.Create(c, $"{Section}:DefaultLeisureSeconds: {DefaultLeisureSeconds} must be 0..600 (RFC 7252 §8.2)");
        if (MaxBlockSize is < 16 or > 1024 || (MaxBlockSize & (MaxBlockSize - 1)) != 0)
            yield return string.Create(c, $"{Section}:MaxBlockSize: {MaxBlockSize} must be 16, 32, 64, 128, 256, 512 or 1024 (RFC 7959 §2.2)");
    }

    // A method, not a property: the configuration binder (generated) would try to bind a property.
    public IPEndPoint EndPoint() => new(IPAddress.Parse(Address), Port);

    public Gateway.Coap.CoapEndpointOptions ToEndpointOptions() => new()
    {
        ReceiveThreads = ReceiveThreads,
        AckTimeout = TimeSpan.FromSeconds(AckTimeoutSeconds),
        AckRandomFactor = AckRandomFactor,
        MaxRetransmit = MaxRetransmit,
        Nstart = Nstart,
        ProbingRate = ProbingRate,
        DefaultLeisure = TimeSpan.FromSeconds(DefaultLeisureSeconds),
        PreferredBlockSize = MaxBlockSize,
        SeparateResponseDelay = TimeSpan.FromMilliseconds(SeparateResponseDelayMilliseconds),
        DeduplicationCapacity = DeduplicationCapacity,
    };
}
