using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gateway.Devices.Http;

/// <summary>The optional HTTPS listener of the device API (issue 9): a Kestrel helper the host calls while configuring Kestrel.</summary>
public static class ThingsBoardHttps
{
    /// <summary>
    /// Adds an HTTPS listener on <paramref name="address"/>:<see cref="HttpTlsOptions.Port"/> with the PEM certificate
    /// and key of <paramref name="tls"/> (HTTP/1.1 and HTTP/2 by ALPN); nothing when the port is 0. Returns whether a
    /// listener was added. Loads the files now, so a bad file fails the start, not the first device.
    /// </summary>
    public static bool ListenThingsBoardHttps(this KestrelServerOptions kestrel, HttpTlsOptions tls, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        ArgumentNullException.ThrowIfNull(tls);
        ArgumentNullException.ThrowIfNull(address);
        if (!tls.Enabled) return false;
        var certificate = tls.LoadCertificate();
        kestrel.Listen(address, tls.Port, listen => listen.UseHttps(certificate));
        return true;
    }
}
