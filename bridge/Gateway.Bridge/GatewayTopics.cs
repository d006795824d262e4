namespace Gateway.Bridge;

/// <summary>ThingsBoard MQTT gateway API topics (reference/thingsboard.md §4.2); there are no others.</summary>
public static class GatewayTopics
{
    public const string Connect = "v1/gateway/connect";
    /// <summary>Both directions: gw→cloud stops downlinks for a device; cloud→gw (MQTT 5 only) says the cloud dropped it.</summary>
    public const string Disconnect = "v1/gateway/disconnect";
    public const string Telemetry = "v1/gateway/telemetry";
    /// <summary>gw→cloud client attributes; cloud→gw shared attribute updates and deletions.</summary>
    public const string Attributes = "v1/gateway/attributes";
    public const string AttributeRequest = "v1/gateway/attributes/request";
    public const string AttributeResponse = "v1/gateway/attributes/response";
    /// <summary>Both directions on the same topic: requests down, replies up with the same id.</summary>
    public const string Rpc = "v1/gateway/rpc";
    public const string Claim = "v1/gateway/claim";

    // Not gateway-API topics: the device API the gateway uses for itself (§4.1): its own telemetry
    // and client attributes, service RPCs to it, and client-side RPC, which the gateway API lacks for
    // sub-devices (§4.2).

    /// <summary>gw→cloud: the gateway device's own time series.</summary>
    public const string OwnTelemetry = "v1/devices/me/telemetry";
    /// <summary>gw→cloud: the gateway device's own client attributes; cloud→gw: its shared attribute updates.</summary>
    public const string OwnAttributes = "v1/devices/me/attributes";
    /// <summary>gw→cloud: the gateway device asks for its own attributes; the request id follows the last slash.</summary>
    public const string OwnAttributeRequestPrefix = "v1/devices/me/attributes/request/";
    /// <summary>cloud→gw: the answer to <see cref="OwnAttributeRequestPrefix"/>, <c>{"client":{…},"shared":{…}}</c>.</summary>
    public const string OwnAttributeResponsePrefix = "v1/devices/me/attributes/response/";
    public const string OwnAttributeResponses = OwnAttributeResponsePrefix + "+";
    /// <summary>cloud→gw: a server-side RPC to the gateway device (service commands, rename and delete notices); the id follows the last slash.</summary>
    public const string OwnRpcRequests = OwnRpcRequestPrefix + "+";

    /// <summary>gw→cloud: the gateway's own client-side RPC request; the request id follows the last slash.</summary>
    public const string OwnRpcRequestPrefix = "v1/devices/me/rpc/request/";
    /// <summary>cloud→gw: the reply to <see cref="OwnRpcRequestPrefix"/> with the same id.</summary>
    public const string OwnRpcResponsePrefix = "v1/devices/me/rpc/response/";
    public const string OwnRpcResponses = OwnRpcResponsePrefix + "+";
}
