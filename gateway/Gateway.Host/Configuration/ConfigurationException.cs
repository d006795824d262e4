namespace Gateway.Host.Configuration;

/// <summary>
/// A bad argument, configuration file or configuration value. The message is one line naming the
/// file, key or argument (e.g. <c>Coap:Port: 70000 is not a port</c>); the process exits 2.
/// </summary>
public sealed class ConfigurationException(string message, Exception? inner = null) : Exception(message, inner);
