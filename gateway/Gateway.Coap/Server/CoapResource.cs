using Gateway.Coap.Messages;

namespace Gateway.Coap.Server;

/// <summary>
/// A node of the resource tree. Override the handlers for the methods the resource supports;
/// the others answer 4.05 Method Not Allowed (RFC 7252 §5.9.2.6). A child named <c>{name}</c>
/// matches any one path segment and binds it as a route value (for <c>/api/v1/{token}/telemetry</c>).
/// </summary>
public class CoapResource
{
    private readonly Dictionary<string, CoapResource> _children = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CoapResource>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public CoapResource(string name)
    {
        if (name.Contains('/')) throw new ArgumentException("A resource name is one path segment.", nameof(name));
        Name = name;
        Attributes = new CoapResourceAttributes(this);
        ParameterName = name.Length > 2 && name[0] == '{' && name[^1] == '}' ? name[1..^1] : null;
        _lookup = _children.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public string Name { get; }

    public CoapResource? Parent { get; private set; }

    public CoapResourceAttributes Attributes { get; }

    /// <summary>
    /// Listed in /.well-known/core. Parameter segments and their subtrees are never listed; path nodes made by
    /// <see cref="GetOrAddPath"/> start hidden and are listed once made visible.
    /// </summary>
    public bool Visible { get => _visible; set { _visible = value; NoteTreeChange(); } }

    private bool _visible = true;
    private long _treeVersion;

    /// <summary>
    /// On a root: changes whenever its tree gains a resource or changes what discovery shows
    /// (visibility, attributes), the key of the cached <c>/.well-known/core</c> listing.
    /// </summary>
    internal long TreeVersion => Volatile.Read(ref _treeVersion);

    /// <summary>Counts a change on this resource's root (rare: configuration, not requests).</summary>
    internal void NoteTreeChange()
    {
        var root = this;
        while (root.Parent is { } parent) root = parent;
        Interlocked.Increment(ref root._treeVersion);
    }

    /// <summary>The route-value name if this node is a <c>{parameter}</c> segment.</summary>
    public string? ParameterName { get; }

    internal CoapResource? ParameterChild { get; private set; }

    public IEnumerable<CoapResource> Children => ParameterChild is null ? _children.Values : _children.Values.Append(ParameterChild);

    public string Path => Parent is null ? "" : $"{Parent.Path}/{Name}";

    public TResource Add<TResource>(TResource child) where TResource : CoapResource
    {
        if (child.Parent is not null) throw new InvalidOperationException($"{child.Name} already has a parent.");
        if (child.ParameterName is not null)
        {
            if (ParameterChild is not null) throw new InvalidOperationException($"{Path} already has a parameter child {ParameterChild.Name}.");
            ParameterChild = child;
        }
        else if (!_children.TryAdd(child.Name, child)) throw new InvalidOperationException($"{Path}/{child.Name} already exists.");
        child.Parent = this;
        NoteTreeChange();
        return child;
    }

    /// <summary>Adds (or finds) the chain of plain resources for a path like <c>api/v1</c>.</summary>
    public CoapResource GetOrAddPath(string path)
    {
        var node = this;
        foreach (var segment in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var existing = segment.Length > 2 && segment[0] == '{' ? node.ParameterChild : node._children.GetValueOrDefault(segment);
            node = existing ?? node.Add(new CoapResource(segment) { Visible = false });
        }
        return node;
    }

    internal CoapResource? FindChild(ReadOnlySpan<char> segment) =>
        _lookup.TryGetValue(segment, out var child) ? child : ParameterChild;

    /// <summary>Dispatches by method; override for methods outside GET/POST/PUT/DELETE.</summary>
    public virtual ValueTask<CoapResponse> HandleAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        var method = request.Method;
        if (method == CoapCode.Get) return GetAsync(request, cancellationToken);
        if (method == CoapCode.Post) return PostAsync(request, cancellationToken);
        if (method == CoapCode.Put) return PutAsync(request, cancellationToken);
        if (method == CoapCode.Delete) return DeleteAsync(request, cancellationToken);
        return MethodNotAllowed;
    }

    protected virtual ValueTask<CoapResponse> GetAsync(CoapRequest request, CancellationToken cancellationToken) => MethodNotAllowed;
    protected virtual ValueTask<CoapResponse> PostAsync(CoapRequest request, CancellationToken cancellationToken) => MethodNotAllowed;
    protected virtual ValueTask<CoapResponse> PutAsync(CoapRequest request, CancellationToken cancellationToken) => MethodNotAllowed;
    protected virtual ValueTask<CoapResponse> DeleteAsync(CoapRequest request, CancellationToken cancellationToken) => MethodNotAllowed;

    private static readonly CoapResponse MethodNotAllowedResponse = CoapResponse.Empty(CoapCode.MethodNotAllowed);

    protected static ValueTask<CoapResponse> MethodNotAllowed => new(MethodNotAllowedResponse);

    /// <summary>Whether the resource answers requests itself (a bare path node does not: 4.04).</summary>
    public virtual bool IsEndpoint => GetType() != typeof(CoapResource);
}
