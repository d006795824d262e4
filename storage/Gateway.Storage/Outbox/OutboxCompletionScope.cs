namespace Gateway.Storage.Outbox;

/// <summary>
/// What the outbox's writer opens around the completion of one committed batch's writers, on its own thread, before its
/// next commit. Their brief continuations (<see cref="OutboxMessage.ContinuesBriefly"/>: sending a CoAP answer) run
/// inside it, so the CoAP listener can have their answers leave together, one system call for the batch.
/// </summary>
public sealed class OutboxCompletionScope
{
    private Func<IDisposable?>? _open;

    /// <summary>Sets what opens the scope (null: nothing); the CoAP listener sets it once its socket is bound.</summary>
    public void Use(Func<IDisposable?>? open) => Volatile.Write(ref _open, open);

    internal IDisposable? Open() => Volatile.Read(ref _open)?.Invoke();
}
