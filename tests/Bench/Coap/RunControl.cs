namespace Gateway.Bench.Coap;

/// <summary>
/// The phase of one load point, written by the coordinating thread and polled by the workers:
/// warm-up (load but no recording), measuring, stopping. A volatile int keeps the hot path free
/// of locks; a response is counted when it completes inside the measuring phase.
/// </summary>
internal sealed class RunControl
{
    private const int WarmingUp = 0, MeasuringPhase = 1, StoppingPhase = 2;
    private volatile int _phase = WarmingUp;

    public bool Measuring => _phase == MeasuringPhase;

    public bool Stopping => _phase == StoppingPhase;

    public void BeginMeasuring() => _phase = MeasuringPhase;

    public void Stop() => _phase = StoppingPhase;
}
