namespace Gateway.Coap.Observe;

/// <summary>
/// A route value of a relation's registration (<see cref="Server.CoapRequest.RouteValues"/>) as the relation keeps it:
/// the index of the Uri-Path segment it was bound from, so the segment's text is not kept twice; or, for a value that is
/// no segment (a session's implicit credential binds ""), the value itself.
/// </summary>
internal readonly record struct RouteBinding(string Name, int Segment, string? Value);
