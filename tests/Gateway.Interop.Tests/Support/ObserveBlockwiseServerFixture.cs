using System.Net;
using System.Text;
using Gateway.Coap;
using Gateway.Coap.Messages;
using Gateway.Coap.Observe;
using Gateway.Coap.Server;
using Gateway.Coap.Transport;

namespace Gateway.Interop.Tests.Support;

/// <summary>
/// Our server over real UDP with what issue 4 needs from real peers: <c>/counter</c>, an observable
/// resource that changes every 250 ms; <c>/large</c>, a 100 kB text body for Block2; <c>/upload</c>,
/// which keeps the last PUT/POST body (reassembled from Block1) for comparison.
/// </summary>
public sealed class ObserveBlockwiseServerFixture : IDisposable
{
    public static readonly string LargeText = string.Concat(Enumerable.Range(0, 100_000 / 10).Select(i => $"{i:D9}\n"));

    private readonly Timer _ticker;

    public ObserveBlockwiseServerFixture()
    {
        var server = new CoapServer();
        Counter = server.Add("", new CounterResource());
        server.Add("", new DelegateResource("large").On(CoapCode.Get, _ =>
            CoapResponse.WithFormat(CoapCode.Content, Encoding.ASCII.GetBytes(LargeText), CoapContentFormat.TextPlain)));
        server.Add("", new DelegateResource("upload")
            .On(CoapCode.Put, Store)
            .On(CoapCode.Post, Store));
        Endpoint = new CoapEndpoint(new UdpDatagramTransport(new IPEndPoint(IPAddress.IPv6Any, 0)), server);
        Endpoint.Start();
        Port = ((IPEndPoint)Endpoint.LocalEndPoint).Port;
        _ticker = new Timer(_ => Counter.Tick(), null, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250));
    }

    public CoapEndpoint Endpoint { get; }

    public CounterResource Counter { get; }

    public int Port { get; }

    public byte[] LastUpload { get; private set; } = [];

    public string Uri(string path) => $"coap://127.0.0.1:{Port}/{path.TrimStart('/')}";

    private CoapResponse Store(CoapRequest request)
    {
        LastUpload = request.Payload.ToArray();
        return CoapResponse.Text(request.Method == CoapCode.Put ? CoapCode.Changed : CoapCode.Created, $"received {LastUpload.Length}");
    }

    public void Dispose()
    {
        _ticker.Dispose();
        Endpoint.Dispose();
    }

    public sealed class CounterResource() : ObservableResource("counter")
    {
        private long _value;

        public void Tick()
        {
            Interlocked.Increment(ref _value);
            NotifyObservers();
        }

        protected override ValueTask<CoapResponse> GetAsync(CoapRequest request, CancellationToken cancellationToken) =>
            new(CoapResponse.Text(CoapCode.Content, Interlocked.Read(ref _value).ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }
}
