using System.Net;
using System.Net.Sockets;
using Gateway.Coap.Transport;
using Gateway.Coap.Transport.Linux;

namespace Gateway.Coap.Tests.Transport.Linux;

/// <summary>
/// The recvmmsg/sendmmsg path of <see cref="UdpDatagramTransport"/> on real loopback sockets: how many datagrams one call
/// hands over, what a datagram too long for its slot looks like, the sender addresses it decodes, and when queued answers
/// leave. Linux only (the batched path does not exist elsewhere).
/// </summary>
public sealed class BatchedUdpTransportTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly List<IDisposable> _owned = [];

    private T Own<T>(T disposable) where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    public void Dispose()
    {
        foreach (var owned in Enumerable.Reverse(_owned)) owned.Dispose();
    }

    private (UdpDatagramTransport Transport, IBatchingDatagramTransport Batching, DatagramBatch Batch) Open(IPEndPoint bind, int batchSize, int slotBytes = 1408,
        TimeSpan? busyPoll = null)
    {
        var transport = Own(new UdpDatagramTransport(bind, batchSize: batchSize, busyPoll: busyPoll ?? TimeSpan.Zero));
        IBatchingDatagramTransport batching = transport;
        var batch = Own(batching.CreateBatch(slotBytes)!);
        return (transport, batching, batch);
    }

    private Socket Client(IPAddress address)
    {
        var socket = Own(new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp));
        socket.Bind(new IPEndPoint(address, 0));
        socket.ReceiveTimeout = (int)Patience.TotalMilliseconds;
        return socket;
    }

    /// <summary>Where the transport's answers to <paramref name="client"/> go.</summary>
    private static SocketAddress AddressOf(Socket client) => ((IPEndPoint)client.LocalEndPoint!).Serialize();

    private static IPEndPoint Port(UdpDatagramTransport transport, IPAddress address) => new(address, ((IPEndPoint)transport.LocalEndPoint).Port);

    private static byte[] Datagram(byte tag, int length = 8) => Enumerable.Range(0, length).Select(i => (byte)(tag + i)).ToArray();

    [Fact]
    public void QueuedDatagrams_ArriveInOrder_InBatchesNoLargerThanTheCapacity_TheLastOnePartial()
    {
        if (!OperatingSystem.IsLinux()) return;
        var (transport, batching, batch) = Open(new IPEndPoint(IPAddress.Loopback, 0), batchSize: 2);
        var client = Client(IPAddress.Loopback);
        // Loopback delivers during sendto: all five are queued before the first receive.
        for (byte tag = 0; tag < 5; tag++) client.SendTo(Datagram((byte)(tag * 10), 4 + tag), Port(transport, IPAddress.Loopback));

        var counts = new List<int>();
        var received = new List<byte[]>();
        while (received.Count < 5)
        {
            int count = batching.ReceiveBatch(batch);
            counts.Add(count);
            for (int i = 0; i < count; i++) received.Add(batch.Datagram(i).ToArray());
        }

        Assert.Equal([2, 2, 1], counts);
        for (byte tag = 0; tag < 5; tag++) Assert.Equal(Datagram((byte)(tag * 10), 4 + tag), received[tag]);
    }

    [Fact]
    public void ADatagramLongerThanItsSlot_IsFlaggedTruncated_AndTheNextOneIsNot()
    {
        if (!OperatingSystem.IsLinux()) return;
        var (transport, batching, batch) = Open(new IPEndPoint(IPAddress.Loopback, 0), batchSize: 4, slotBytes: 64);
        var client = Client(IPAddress.Loopback);
        client.SendTo(Datagram(1, 100), Port(transport, IPAddress.Loopback));
        client.SendTo(Datagram(2, 64), Port(transport, IPAddress.Loopback));

        Assert.Equal(2, batching.ReceiveBatch(batch));
        Assert.True(batch.IsTruncated(0));
        Assert.Equal(Datagram(1, 64), batch.Datagram(0).ToArray()); // only its start
        Assert.False(batch.IsTruncated(1));
        Assert.Equal(Datagram(2, 64), batch.Datagram(1).ToArray());
    }

    public static TheoryData<string, string, string> Peers => new()
    {
        // bind, client, the peer the endpoint sees (IPv4 through a dual-stack socket: IPv4-mapped)
        { "127.0.0.1", "127.0.0.1", "127.0.0.1" },
        { "::", "127.0.0.1", "127.0.0.1" },
        { "::", "::1", "::1" },
        { "::1", "::1", "::1" },
    };

    [Theory]
    [MemberData(nameof(Peers))]
    public void TheSender_IsDecodedAsTheSocketPathDecodesIt(string bind, string client, string expected)
    {
        if (!OperatingSystem.IsLinux()) return;
        var (transport, batching, batch) = Open(new IPEndPoint(IPAddress.Parse(bind), 0), batchSize: 8);
        var from = Client(IPAddress.Parse(client));
        var target = IPAddress.Parse(client);
        from.SendTo(Datagram(7), Port(transport, target));

        Assert.Equal(1, batching.ReceiveBatch(batch));
        var remote = new SocketAddress(transport.AddressFamily);
        batch.CopySender(0, remote);

        var peer = PeerAddress.From(remote);
        var local = (IPEndPoint)from.LocalEndPoint!;
        Assert.Equal(new IPEndPoint(IPAddress.Parse(expected), local.Port).ToString(), peer.ToString());
        Assert.Equal(PeerAddress.From(new IPEndPoint(local.Address, local.Port)).Port, peer.Port);
        Assert.Equal(transport.AddressFamily, remote.Family);
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("::", "127.0.0.1")]
    [InlineData("::", "::1")]
    public void AnswersSentDuringABatch_LeaveWithTheNextCall_ToTheirSenders(string bind, string client)
    {
        if (!OperatingSystem.IsLinux()) return;
        var (transport, batching, batch) = Open(new IPEndPoint(IPAddress.Parse(bind), 0), batchSize: 8);
        var target = Port(transport, IPAddress.Parse(client));
        var first = Client(IPAddress.Parse(client));
        var second = Client(IPAddress.Parse(client));
        first.SendTo(Datagram(1), target);
        second.SendTo(Datagram(2), target);

        int count = 0;
        var senders = new List<SocketAddress>();
        while (count < 2)
        {
            int got = batching.ReceiveBatch(batch);
            for (int i = 0; i < got; i++)
            {
                var remote = new SocketAddress(transport.AddressFamily);
                batch.CopySender(i, remote);
                senders.Add(remote);
                // The answer, as the endpoint sends it from the receive thread.
                transport.Send(Datagram((byte)(100 + count + i)), remote);
            }
            count += got;
        }
        Assert.Equal(2, batch.Queued);
        Assert.Equal(0, first.Available + second.Available); // queued, not sent yet

        // The next call sends them (one sendmmsg) before it waits for the next datagram.
        first.SendTo(Datagram(3), target);
        Assert.Equal(1, batching.ReceiveBatch(batch));
        Assert.Equal(0, batch.Queued);
        var buffer = new byte[64];
        Assert.Equal(Datagram(100), buffer.AsSpan(0, first.Receive(buffer)).ToArray());
        Assert.Equal(Datagram(101), buffer.AsSpan(0, second.Receive(buffer)).ToArray());
    }

    [Fact]
    public void SendQueued_SendsThisThreadsQueuedAnswersAtOnce_SoALaterMessageFromAnotherThreadCannotOvertakeThem()
    {
        if (!OperatingSystem.IsLinux()) return;
        var (transport, batching, batch) = Open(new IPEndPoint(IPAddress.Loopback, 0), batchSize: 8);
        var target = Port(transport, IPAddress.Loopback);
        var client = Client(IPAddress.Loopback);
        client.SendTo(Datagram(1), target);
        client.SendTo(Datagram(2), target);
        int got = 0;
        while (got < 2) got += batching.ReceiveBatch(batch);
        var remote = new SocketAddress(transport.AddressFamily);
        batch.CopySender(0, remote);
        transport.Send(Datagram(100), remote);
        Assert.Equal(1, batch.Queued);

        // Another thread doing nothing to this thread's queue, then this thread flushing it.
        OnAnotherThread(batching.SendQueued);
        Assert.Equal(1, batch.Queued);
        batching.SendQueued();
        Assert.Equal(0, batch.Queued);
        // A message sent afterwards from another thread arrives after the answer.
        OnAnotherThread(() => transport.Send(Datagram(200), remote));
        var buffer = new byte[64];
        Assert.Equal(Datagram(100), buffer.AsSpan(0, client.Receive(buffer)).ToArray());
        Assert.Equal(Datagram(200), buffer.AsSpan(0, client.Receive(buffer)).ToArray());
    }

    /// <summary>Runs <paramref name="action"/> on a thread of its own (no batch of this one's) and rethrows what it threw here.</summary>
    private static void OnAnotherThread(Action action)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try { action(); }
            catch (Exception e) { failure = e; }
        });
        thread.Start();
        Assert.True(thread.Join(Patience));
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
    }

    [Fact]
    public void AnswersToABatchOfOne_FromAnotherThread_AndThoseThatDoNotFit_GoOutAtOnce()
    {
        if (!OperatingSystem.IsLinux()) return;
        var (transport, batching, batch) = Open(new IPEndPoint(IPAddress.Loopback, 0), batchSize: 2, slotBytes: 16);
        var client = Client(IPAddress.Loopback);
        var buffer = new byte[64];
        var remote = new SocketAddress(transport.AddressFamily);
        client.SendTo(Datagram(1), Port(transport, IPAddress.Loopback));
        Assert.Equal(1, batching.ReceiveBatch(batch));
        batch.CopySender(0, remote);
        transport.Send(Datagram(40), remote); // a batch of one: nothing to share a sendmmsg with
        Assert.Equal(0, batch.Queued);
        Assert.Equal(Datagram(40), buffer.AsSpan(0, client.Receive(buffer)).ToArray());

        client.SendTo(Datagram(2), Port(transport, IPAddress.Loopback));
        client.SendTo(Datagram(3), Port(transport, IPAddress.Loopback));
        Assert.Equal(2, batching.ReceiveBatch(batch));
        transport.Send(Datagram(50, 32), remote); // longer than a send slot
        Assert.Equal(0, batch.Queued);
        Assert.Equal(32, client.Receive(buffer));

        var other = new Thread(() => transport.Send(Datagram(60), remote));
        other.Start();
        Assert.True(other.Join(Patience));
        Assert.Equal(0, batch.Queued);
        Assert.Equal(Datagram(60), buffer.AsSpan(0, client.Receive(buffer)).ToArray());

        transport.Send(Datagram(70), remote);
        transport.Send(Datagram(71), remote);
        transport.Send(Datagram(72), remote); // the batch holds two: they leave, in order, and the third waits for the next
        Assert.Equal(1, batch.Queued);
        Assert.Equal(Datagram(70), buffer.AsSpan(0, client.Receive(buffer)).ToArray());
        Assert.Equal(Datagram(71), buffer.AsSpan(0, client.Receive(buffer)).ToArray());
        Assert.Equal(0, client.Available);
    }

    [Fact]
    public void CoalescedAnswers_WaitForTheScopesEnd_ThenLeaveInOrder_AFullBatchAtATime()
    {
        if (!OperatingSystem.IsLinux()) return;
        var (transport, batching, _) = Open(new IPEndPoint(IPAddress.Loopback, 0), batchSize: 4);
        var client = Client(IPAddress.Loopback);
        var remote = AddressOf(client);
        var buffer = new byte[64];

        OnAnotherThread(() =>
        {
            using (var scope = batching.CoalesceAnswers(1408))
            {
                Assert.NotNull(scope);
                for (byte i = 0; i < 3; i++) transport.Send(Datagram((byte)(10 * i)), remote);
                Assert.Equal(0, client.Available); // queued
                for (byte i = 3; i < 6; i++) transport.Send(Datagram((byte)(10 * i)), remote);
                // The fifth found the batch full: the first four left then.
                Assert.Equal(Datagram(0), buffer.AsSpan(0, client.Receive(buffer)).ToArray());
            }
        });
        for (byte i = 1; i < 6; i++) Assert.Equal(Datagram((byte)(10 * i)), buffer.AsSpan(0, client.Receive(buffer)).ToArray());

        // The batch went back: the next thread's scope gets it, and its answer leaves at the end too.
        OnAnotherThread(() =>
        {
            using (var scope = batching.CoalesceAnswers(1408))
            {
                Assert.NotNull(scope);
                transport.Send(Datagram(99), remote);
                Assert.Equal(0, client.Available);
            }
        });
        Assert.Equal(Datagram(99), buffer.AsSpan(0, client.Receive(buffer)).ToArray());
    }

    [Fact]
    public void WhileOneThreadCoalesces_AnotherSendsAtOnce_AndAReceiveThreadNeverCoalesces()
    {
        if (!OperatingSystem.IsLinux()) return;
        var (transport, batching, batch) = Open(new IPEndPoint(IPAddress.Loopback, 0), batchSize: 4);
        var client = Client(IPAddress.Loopback);
        var remote = AddressOf(client);
        var buffer = new byte[64];
        using var holding = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holder = new Thread(() =>
        {
            using (batching.CoalesceAnswers(1408))
            {
                transport.Send(Datagram(1), remote);
                holding.Set();
                release.Wait(Patience);
            }
        });
        holder.Start();
        Assert.True(holding.Wait(Patience));

        OnAnotherThread(() =>
        {
            Assert.Null(batching.CoalesceAnswers(1408)); // one holder at a time
            transport.Send(Datagram(2), remote);
        });
        Assert.Equal(Datagram(2), buffer.AsSpan(0, client.Receive(buffer)).ToArray());
        release.Set();
        Assert.True(holder.Join(Patience));
        Assert.Equal(Datagram(1), buffer.AsSpan(0, client.Receive(buffer)).ToArray());

        // A receive thread already queues its answers with its batch.
        client.SendTo(Datagram(3), Port(transport, IPAddress.Loopback));
        Assert.Equal(1, batching.ReceiveBatch(batch));
        Assert.Null(batching.CoalesceAnswers(1408));
    }

    [Fact]
    public void NothingCoalesces_OnThePortablePath_OrAfterDispose()
    {
        var portable = Own(new UdpDatagramTransport(new IPEndPoint(IPAddress.Loopback, 0), batchSize: 1));
        Assert.Null(((IBatchingDatagramTransport)portable).CoalesceAnswers(1408));
        if (!OperatingSystem.IsLinux()) return;
        var (transport, batching, _) = Open(new IPEndPoint(IPAddress.Loopback, 0), batchSize: 4);
        OnAnotherThread(() => batching.CoalesceAnswers(1408)!.Dispose()); // the batch made once, and given back
        transport.Dispose();
        OnAnotherThread(() => Assert.Null(batching.CoalesceAnswers(1408)));
    }

    [Fact]
    public async Task Disposing_WakesAThreadWaitingForABatch()
    {
        if (!OperatingSystem.IsLinux()) return;
        var (transport, batching, batch) = Open(new IPEndPoint(IPAddress.Loopback, 0), batchSize: 4);
        var waiting = Task.Factory.StartNew(() => batching.ReceiveBatch(batch), TaskCreationOptions.LongRunning);
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted);
        transport.Dispose();
        Assert.Equal(-1, await waiting.WaitAsync(Patience));
    }

    [Fact]
    public unsafe void TheHeaders_HaveTheKernelsLayout()
    {
        if (!Environment.Is64BitProcess) return;
        // LP64 struct msghdr: 56 bytes; struct mmsghdr: msg_len after it, 64 in all; struct iovec: 16.
        Assert.Equal(56, sizeof(MessageHeader));
        Assert.Equal(64, sizeof(MultiMessageHeader));
        Assert.Equal(56, (int)System.Runtime.InteropServices.Marshal.OffsetOf<MultiMessageHeader>(nameof(MultiMessageHeader.Length)));
        Assert.Equal(48, (int)System.Runtime.InteropServices.Marshal.OffsetOf<MessageHeader>(nameof(MessageHeader.Flags)));
        Assert.Equal(16, sizeof(IoVector));
    }

    [Fact]
    public void ABatchSizeOfOne_IsThePortablePath()
    {
        var transport = Own(new UdpDatagramTransport(new IPEndPoint(IPAddress.Loopback, 0), batchSize: 1));
        Assert.Equal(1, transport.BatchSize);
        Assert.Null(((IBatchingDatagramTransport)transport).CreateBatch(1408));
    }

    [Theory]
    [InlineData(400, true, true)]
    [InlineData(0, true, false)]
    [InlineData(400, false, false)] // answered elsewhere (a durable write's commit): nothing is due from its client
    public async Task AfterAnsweringADatagramThatCameSoon_TheThreadPollsForTheBudget_OtherwiseItSleeps(int budgetMilliseconds, bool answered, bool polls)
    {
        if (!OperatingSystem.IsLinux()) return;
        var (transport, batching, batch) = Open(new IPEndPoint(IPAddress.Loopback, 0), batchSize: 4, busyPoll: TimeSpan.FromMilliseconds(budgetMilliseconds));
        var client = Client(IPAddress.Loopback);
        var target = Port(transport, IPAddress.Loopback);
        client.SendTo(Datagram(1), target);
        Assert.Equal(1, batching.ReceiveBatch(batch)); // queued before the call: it came at once
        var remote = new SocketAddress(transport.AddressFamily);
        batch.CopySender(0, remote);
        if (answered) transport.Send(Datagram(100), remote);

        // The next datagram comes after the budget: the thread polled until then (CPU), or slept (none).
        var waiting = Task.Factory.StartNew(() =>
        {
            long before = ThreadCpuTicks();
            int count = batching.ReceiveBatch(batch);
            return (count, cpu: ThreadCpuTicks() - before);
        }, TaskCreationOptions.LongRunning);
        await Task.Delay(600);
        client.SendTo(Datagram(2), target);
        var (count, cpu) = await waiting.WaitAsync(Patience);

        Assert.Equal(1, count);
        Assert.Equal(Datagram(2), batch.Datagram(0).ToArray());
        // Clock ticks of 10 ms: polling 400 ms takes at least 100 ms of CPU even on a busy machine; sleeping, next to none.
        if (polls) Assert.True(cpu >= 10, $"{cpu} ticks of CPU while polling");
        else Assert.True(cpu <= 5, $"{cpu} ticks of CPU while asleep");
    }

    [Fact]
    public async Task Disposing_EndsAThreadThatPolls()
    {
        if (!OperatingSystem.IsLinux()) return;
        var (transport, batching, batch) = Open(new IPEndPoint(IPAddress.Loopback, 0), batchSize: 4, busyPoll: TimeSpan.FromSeconds(60));
        var client = Client(IPAddress.Loopback);
        client.SendTo(Datagram(1), Port(transport, IPAddress.Loopback));
        Assert.Equal(1, batching.ReceiveBatch(batch));
        var remote = new SocketAddress(transport.AddressFamily);
        batch.CopySender(0, remote);
        transport.Send(Datagram(100), remote);
        var polling = Task.Factory.StartNew(() => batching.ReceiveBatch(batch), TaskCreationOptions.LongRunning);
        await Task.Delay(100);
        Assert.False(polling.IsCompleted);
        transport.Dispose();
        Assert.Equal(-1, await polling.WaitAsync(Patience));
    }

    /// <summary>The calling thread's user and system CPU time so far, in clock ticks (proc(5), /proc/thread-self/stat fields 14 and 15).</summary>
    private static long ThreadCpuTicks()
    {
        string stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
    }
}
