using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Mqtt.Transport;

/// <summary>TCP to the broker, optionally wrapped in TLS (<see cref="SslStream"/>).</summary>
public sealed class TcpMqttTransport : IMqttTransport
{
    private readonly string _host;
    private readonly int _port;
    private readonly MqttTlsOptions? _tls;
    private readonly X509Certificate2Collection? _trustedRoots;
    private readonly X509Certificate2? _clientCertificate;

    public TcpMqttTransport(string host, int port, MqttTlsOptions? tls = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        _host = host;
        _port = port;
        _tls = tls is { Enabled: true } ? tls : null;
        // Certificates are loaded once, here, so a bad file fails at start-up and not on every reconnect.
        if (_tls?.CaFile is { Length: > 0 } caFile)
        {
            _trustedRoots = [];
            _trustedRoots.ImportFromPemFile(caFile);
            if (_trustedRoots.Count == 0) throw new InvalidOperationException($"Mqtt:Tls:CaFile: {caFile} holds no certificate");
        }
        if (_tls?.CertificateFile is { Length: > 0 } certFile)
            _clientCertificate = X509Certificate2.CreateFromPemFile(certFile, _tls.KeyFile);
    }

    public async ValueTask<IMqttTransportConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(_host, _port, cancellationToken).ConfigureAwait(false);
            string remote = socket.RemoteEndPoint?.ToString() ?? $"{_host}:{_port}";
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (_tls is null) return new StreamTransportConnection(stream, remote);

            var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
            try
            {
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = _tls.ServerName ?? _host,
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    ClientCertificates = _clientCertificate is null ? null : [_clientCertificate],
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                    RemoteCertificateValidationCallback = ValidateServerCertificate,
                }, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await ssl.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            return new StreamTransportConnection(ssl, remote + " (TLS)");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (!_tls!.CheckHostName) errors &= ~SslPolicyErrors.RemoteCertificateNameMismatch;
        if (_trustedRoots is null) return errors == SslPolicyErrors.None;
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0) return false;
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
        // Chain errors from the system store are expected for a private CA: rebuild the chain
        // against the configured CA alone.
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_trustedRoots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
            foreach (var element in chain.ChainElements) custom.ChainPolicy.ExtraStore.Add(element.Certificate);
        return custom.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }
}
