using Gateway.Coap.Transport.Dtls;

namespace Gateway.Coap.Tests.Transport;

/// <summary>
/// Handshake workers: one after another, handshakes reuse one thread; handshakes that block at the same time each
/// get a thread of their own (none waits for another to finish); idle workers end.
/// </summary>
public sealed class HandshakeWorkersTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public void SequentialHandshakes_RunOnOneThread()
    {
        using var workers = new HandshakeWorkers(TimeSpan.FromMinutes(1));
        var threads = new HashSet<int>();
        for (int i = 0; i < 20; i++)
        {
            using var done = new ManualResetEventSlim();
            workers.Run(() =>
            {
                lock (threads) threads.Add(Environment.CurrentManagedThreadId);
                done.Set();
            });
            Assert.True(done.Wait(Patience), $"handshake {i} did not run");
            // The worker is idle again before the next one comes, as between two handshakes of a real client.
            Assert.True(SpinWait.SpinUntil(() => workers.Idle == 1, Patience));
        }
        Assert.Single(threads);
        Assert.Equal(1, workers.Threads);
    }

    [Fact]
    public void ConcurrentBlockingHandshakes_EachGetAThread()
    {
        const int Concurrent = 12;
        using var workers = new HandshakeWorkers(TimeSpan.FromMinutes(1));
        // Every handshake waits for all of them to have started: with fewer threads than handshakes this never opens.
        using var allStarted = new CountdownEvent(Concurrent);
        using var finished = new CountdownEvent(Concurrent);
        for (int i = 0; i < Concurrent; i++)
        {
            workers.Run(() =>
            {
                allStarted.Signal();
                allStarted.Wait(Patience);
                finished.Signal();
            });
        }
        Assert.True(finished.Wait(Patience), $"{finished.CurrentCount} of {Concurrent} handshakes never ran alongside the others");
        Assert.Equal(Concurrent, workers.Threads);
    }

    [Fact]
    public void IdleWorkers_End_AndANewHandshakeStartsOneAgain()
    {
        using var workers = new HandshakeWorkers(TimeSpan.FromMilliseconds(20));
        using var done = new CountdownEvent(3);
        for (int i = 0; i < 3; i++) workers.Run(() => { Thread.Sleep(50); done.Signal(); });
        Assert.True(done.Wait(Patience));
        Assert.True(SpinWait.SpinUntil(() => workers.Threads == 0, Patience), $"{workers.Threads} idle worker(s) still alive");

        using var again = new ManualResetEventSlim();
        workers.Run(again.Set);
        Assert.True(again.Wait(Patience), "a handshake after the workers ended did not run");
    }

    [Fact]
    public void Dispose_EndsIdleWorkers()
    {
        var workers = new HandshakeWorkers(TimeSpan.FromMinutes(1));
        using var done = new ManualResetEventSlim();
        workers.Run(done.Set);
        Assert.True(done.Wait(Patience));
        workers.Dispose();
        Assert.True(SpinWait.SpinUntil(() => workers.Threads == 0, Patience));
        Assert.Throws<ObjectDisposedException>(() => workers.Run(() => { }));
    }
}
