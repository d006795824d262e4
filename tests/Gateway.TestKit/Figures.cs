namespace Gateway.TestKit;

/// <summary>
/// One-line figures of the reliability harnesses (issue 18). Written to the console and, when
/// <c>GATEWAY_TESTS_FIGURES</c> names a file (tests/run sets it), appended there, so tests/run and .ci/run print them
/// after the test summary: dotnet test shows nothing a passing test writes.
/// </summary>
public static class Figures
{
    private static readonly object Gate = new();

    public static void Report(string line)
    {
        Console.WriteLine(line);
        if (Environment.GetEnvironmentVariable("GATEWAY_TESTS_FIGURES") is { Length: > 0 } path)
        {
            lock (Gate) File.AppendAllText(path, line + Environment.NewLine);
        }
    }
}
