namespace Gateway.Coap.Observe;

/// <summary>
/// Told when observe relations start and end, so the host can persist them without this library
/// knowing any storage. Called outside the endpoint's lock; keep it quick (queue the write).
/// </summary>
public interface IObservationListener
{
    void OnObservationAdded(ObservationSnapshot observation);

    void OnObservationRemoved(ObservationSnapshot observation, ObserveRemovalReason reason);
}
