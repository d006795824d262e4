using Gateway.Coap.Transport.Linux;

namespace Gateway.Coap.Transport;

/// <summary>
/// A transport that can hand a receive thread several datagrams per system call (Linux <c>recvmmsg</c>) and send
/// what that thread answers while processing them in one <c>sendmmsg</c> (DESIGN.md "Threading": still no hop).
/// </summary>
internal interface IBatchingDatagramTransport : IDatagramTransport
{
    /// <summary>A batch for one receive thread, or null when this transport does not batch (other OSes, switched off).</summary>
    DatagramBatch? CreateBatch(int maxDatagramBytes);

    /// <summary>
    /// Sends what the calling thread queued since its last call, then blocks until at least one datagram is there and
    /// fills <paramref name="batch"/>. Until the next call, <see cref="IDatagramTransport.Send"/> from this thread queues
    /// into the batch. Returns the datagram count, or -1 once the transport is closed.
    /// </summary>
    int ReceiveBatch(DatagramBatch batch);

    /// <summary>
    /// Sends at once what the calling thread has queued (nothing on another thread, or outside a batch). For an answer
    /// other threads act on as "sent": a message they send next must not overtake it.
    /// </summary>
    void SendQueued();

    /// <summary>
    /// Until the returned scope is disposed, what the calling thread sends through this transport is queued and leaves in
    /// one <c>sendmmsg</c> per batch: for a thread that completes many exchanges at once, such as the outbox's writer
    /// after a group commit. Null (each answer sent at once) on a receive thread, or while another thread holds the scope.
    /// </summary>
    IDisposable? CoalesceAnswers(int maxDatagramBytes);
}
