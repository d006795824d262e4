using System.Text;
using System.Text.Unicode;
using Gateway.Coap.Messages;

namespace Gateway.Coap.Server;

/// <summary>
/// Routes requests through the resource tree by Uri-Path (RFC 7252 §6.5) and serves
/// <c>/.well-known/core</c> (RFC 6690 §4) from the resources' attributes. Unknown paths get 4.04,
/// a path segment that is not UTF-8 gets 4.00, and a request for a forward-proxy 5.05.
/// </summary>
public sealed class CoapServer : ICoapRequestHandler
{
    private static readonly CoapResponse NotFound = CoapResponse.Empty(CoapCode.NotFound);
    private static readonly CoapResponse BadPath = CoapResponse.Error(CoapCode.BadRequest, "path not UTF-8");
    private static readonly CoapResponse NotAProxy = CoapResponse.Error(CoapCode.ProxyingNotSupported, "not a proxy");

    public CoapServer()
    {
        Root = new CoapResource("");
        Root.GetOrAddPath(".well-known").Add(new WellKnownCoreResource(this));
    }

    public CoapResource Root { get; }

    private CoapResource? _sessionPrefix;
    private HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _sessionSegments;

    /// <summary>
    /// Token-less URIs on authenticated sessions (ThingsBoard's X.509 form, thingsboard.md §2.9): on a
    /// request with a <see cref="CoapRequest.SessionIdentity"/>, a path <c>prefix/s/…</c> whose segment
    /// <c>s</c> is one of <paramref name="segments"/> routes as <c>prefix/{p}/s/…</c> with the
    /// parameter <c>{p}</c> bound to the empty string, which no URI from the network binds on such a
    /// session. Requests without a session identity route as written.
    /// </summary>
    public void AddSessionRoute(string prefixPath, IEnumerable<string> segments)
    {
        var prefix = Root.GetOrAddPath(prefixPath);
        if (prefix.ParameterChild is null) throw new InvalidOperationException($"{prefix.Path} has no parameter child to stand for the session.");
        _sessionSegments = new HashSet<string>(segments, StringComparer.OrdinalIgnoreCase).GetAlternateLookup<ReadOnlySpan<char>>();
        _sessionPrefix = prefix;
    }

    /// <summary>Adds a resource under a parent path (created as plain nodes if missing).</summary>
    public TResource Add<TResource>(string parentPath, TResource resource) where TResource : CoapResource =>
        Root.GetOrAddPath(parentPath).Add(resource);

    public ValueTask<CoapResponse> HandleAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        var resource = Resolve(request, out bool badPath, out bool proxyRequest);
        // RFC 7252 §5.10.2: an endpoint unwilling to act as a forward-proxy for a Proxy-Uri or
        // Proxy-Scheme request MUST answer 5.05; serving the Uri-Path instead would answer another URI.
        if (proxyRequest) return new(NotAProxy);
        if (badPath) return new(BadPath);
        if (resource is null || !resource.IsEndpoint) return new(NotFound);
        return resource.HandleAsync(request, cancellationToken);
    }

    /// <summary>Walks the tree segment by segment without allocating for literal segments.</summary>
    private CoapResource? Resolve(CoapRequest request, out bool badPath, out bool proxyRequest)
    {
        badPath = false;
        proxyRequest = false;
        CoapResource? node = Root;
        Span<char> chars = stackalloc char[256];
        var options = request.Options;
        for (int i = 0; i < options.Count; i++) // not foreach: an interface enumerator is an allocation per request
        {
            var option = options[i];
            if (option.Number is CoapOptionNumber.ProxyUri or CoapOptionNumber.ProxyScheme)
            {
                proxyRequest = true;
                return null;
            }
            if (option.Number != CoapOptionNumber.UriPath || node is null) continue;
            var bytes = option.Value.Span;
            if (bytes.Length > chars.Length) { node = null; continue; } // longer than any name we serve
            if (Utf8.ToUtf16(bytes, chars, out _, out int written, replaceInvalidSequences: false) != System.Buffers.OperationStatus.Done)
            {
                badPath = true;
                node = null;
                continue;
            }
            var segment = chars[..written];
            if (node == _sessionPrefix && request.SessionIdentity is not null && _sessionSegments.Contains(segment))
            {
                node = node.ParameterChild!;
                request.SetRouteValue(node.ParameterName!, "");
            }
            var child = node.FindChild(segment);
            if (child?.ParameterName is { } parameter) request.SetRouteValue(parameter, RouteValueText.Of(segment));
            node = child;
        }
        return node;
    }

    /// <summary>
    /// Every visible resource, depth first in name order. A path node without a handler is listed only if it was
    /// made visible: the entry point of a subtree whose next segment is a credential (<c>/fw</c> of <c>/fw/{token}</c>).
    /// </summary>
    public IEnumerable<CoapResource> ListedResources()
    {
        var stack = new Stack<CoapResource>([Root]);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            if (node != Root && node.ParameterName is not null) continue; // templates are not links
            if (node != Root && node.Visible) yield return node;
            foreach (var child in node.Children.OrderByDescending(c => c.Name, StringComparer.Ordinal)) stack.Push(child);
        }
    }

    private sealed class WellKnownCoreResource : CoapResource
    {
        /// <summary>
        /// Anyone may ask for discovery from any (spoofed) address, so the listing goes out in blocks this small
        /// (RFC 7252 §11.3): the first block of the shortest discovery request (21 bytes) stays within 3× of it.
        /// </summary>
        public const int BlockSize = 32;

        private readonly CoapServer _server;
        // The unfiltered listing, the answer to nearly every discovery: built once per tree version.
        // A reference, not a tuple: two receive threads may swap it at once and must never see a torn pair.
        private Listing? _listing;

        public WellKnownCoreResource(CoapServer server) : base("core")
        {
            _server = server;
            Visible = false; // RFC 6690 §4: the discovery resource itself need not be listed
            Attributes.ContentFormats.Add(CoapContentFormat.LinkFormat);
        }

        protected override ValueTask<CoapResponse> GetAsync(CoapRequest request, CancellationToken cancellationToken)
        {
            if (request.Accept is { } accept && accept != CoapContentFormat.LinkFormat)
                return new(CoapResponse.Empty(CoapCode.NotAcceptable));
            // §4.1: at most one query filter is defined; further arguments are ignored.
            string? filter = request.Query.Count > 0 ? request.Query[0] : null;
            if (filter is not null) return new(List(filter));
            // The version is read before listing: a change made meanwhile leaves the cache stale-marked.
            long version = _server.Root.TreeVersion;
            if (_listing is { } cached && cached.Version == version) return new(cached.Response);
            var response = List(null);
            _listing = new Listing(version, response);
            return new(response);
        }

        private sealed record Listing(long Version, CoapResponse Response);

        private CoapResponse List(string? filter)
        {
            var links = _server.ListedResources().Where(r => filter is null || LinkFormat.Matches(r, filter));
            var payload = Encoding.UTF8.GetBytes(LinkFormat.Serialize(links));
            return new CoapResponse(CoapCode.Content, payload, [CoapOption.FromUInt(CoapOptionNumber.ContentFormat, CoapContentFormat.LinkFormat)])
            {
                MaxBlockSize = BlockSize,
            };
        }
    }
}
