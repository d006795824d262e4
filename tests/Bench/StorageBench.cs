namespace Gateway.Bench;

internal static class StorageBench
{
    public static Task<int> RunAsync(string[] args)
    {
        Console.Error.WriteLine("storage bench: not written yet");
        return Task.FromResult(2);
    }
}
