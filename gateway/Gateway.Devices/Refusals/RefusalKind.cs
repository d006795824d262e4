namespace Gateway.Devices.Refusals;

/// <summary>Why a device request was refused, one summary line each (<see cref="RefusalLog"/>).</summary>
public enum RefusalKind
{
    /// <summary>A body that is not JSON, not UTF-8, or JSON of the wrong shape (CoAP 4.00, HTTP 400; thingsboard.md §2.4).</summary>
    MalformedJson,
    /// <summary>A body that is not CBOR, or CBOR of the wrong shape (Exosite, CoAP 4.00; peers.md §A.1).</summary>
    MalformedCbor,
    /// <summary>Anything else malformed: an RPC id that is no integer, a value that is not UTF-8 or too long (4.00, HTTP 400).</summary>
    InvalidRequest,
    /// <summary>An access token, CIK or provisioning key nobody has (CoAP 4.01, HTTP 401).</summary>
    UnknownCredential,
    /// <summary>A source over the failure limit: not looked up and not answered (reliability.md S6).</summary>
    SilencedSource,
    /// <summary>An Exosite alias the configuration does not allow (4.03).</summary>
    Forbidden,
    /// <summary>An Exosite dataport written again within the minimum interval (4.12 by default).</summary>
    TooFast,
    /// <summary>A body over the configured cap (HTTP 413).</summary>
    TooLarge,
    /// <summary>A body that did not arrive within the request timeout (HTTP 408).</summary>
    BodyTimeout,
}
