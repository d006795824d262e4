namespace Gateway.Bench;

internal static class CoapBench
{
    public static Task<int> RunAsync(string[] args)
    {
        Console.Error.WriteLine("coap bench: not written yet");
        return Task.FromResult(2);
    }
}
