using System.Collections.ObjectModel;

namespace Gateway.Coap.Server;

/// <summary>
/// Target attributes of a resource as published in CoRE Link Format (RFC 6690 §3.2–3.4, RFC 7641 §6).
/// Every change is counted on the resource's tree (<see cref="CoapResource.TreeVersion"/>), so
/// <c>/.well-known/core</c> can serve a cached listing until something it shows changes.
/// </summary>
public sealed class CoapResourceAttributes
{
    private readonly CoapResource _owner;

    internal CoapResourceAttributes(CoapResource owner)
    {
        _owner = owner;
        ResourceTypes = new CountedCollection<string>(owner);
        Interfaces = new CountedCollection<string>(owner);
        ContentFormats = new CountedCollection<int>(owner);
    }

    private string? _title;
    private int? _maximumSize;
    private bool _observable;

    /// <summary>Resource types (<c>rt</c>), space-separated in the link.</summary>
    public Collection<string> ResourceTypes { get; }

    /// <summary>Interface descriptions (<c>if</c>).</summary>
    public Collection<string> Interfaces { get; }

    /// <summary>Content formats (<c>ct</c>).</summary>
    public Collection<int> ContentFormats { get; }

    public string? Title { get => _title; set { _title = value; _owner.NoteTreeChange(); } }

    /// <summary>Maximum size estimate (<c>sz</c>).</summary>
    public int? MaximumSize { get => _maximumSize; set { _maximumSize = value; _owner.NoteTreeChange(); } }

    /// <summary>The resource is observable (<c>obs</c>).</summary>
    public bool Observable { get => _observable; set { _observable = value; _owner.NoteTreeChange(); } }

    private sealed class CountedCollection<T>(CoapResource owner) : Collection<T>
    {
        protected override void InsertItem(int index, T item) { base.InsertItem(index, item); owner.NoteTreeChange(); }
        protected override void SetItem(int index, T item) { base.SetItem(index, item); owner.NoteTreeChange(); }
        protected override void RemoveItem(int index) { base.RemoveItem(index); owner.NoteTreeChange(); }
        protected override void ClearItems() { base.ClearItems(); owner.NoteTreeChange(); }
    }
}
