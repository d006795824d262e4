using System.Diagnostics;

namespace Gateway.Bench.Drain;

/// <summary>
/// The gateway under test: the JIT build (<c>dotnet coap-gateway.dll</c>) or, with
/// <c>--gateway-binary</c>, an executable such as the NativeAOT one the Debian package ships.
/// </summary>
internal sealed class GatewayCommand(string file, IReadOnlyList<string> prefix)
{
    private const string DllRelative = "gateway/Gateway.Host/bin/Release/net10.0/coap-gateway.dll";

    public string Description => prefix.Count == 0 ? $"{file} (executable)" : $"dotnet {prefix[0]} (JIT)";

    public static GatewayCommand Locate(string? binary, string? dll)
    {
        if (binary is not null)
        {
            if (!File.Exists(binary)) throw new InvalidOperationException($"--gateway-binary {binary} does not exist");
            return new GatewayCommand(Path.GetFullPath(binary), []);
        }
        dll ??= CoapBench.FindRepositoryRoot() is { } root ? Path.Combine(root, DllRelative) : null;
        if (dll is null || !File.Exists(dll))
            throw new InvalidOperationException($"{dll ?? DllRelative} is missing: dotnet build -c Release gateway/Gateway.Host (or pass --gateway-dll / --gateway-binary)");
        return new GatewayCommand("dotnet", [Path.GetFullPath(dll)]);
    }

    public void Run(IEnumerable<string> arguments) => Backlog.RunTool(file, [.. prefix, .. arguments]);

    public ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in prefix.Concat(arguments)) psi.ArgumentList.Add(argument);
        // Out of the user's configuration: the bench chooses every setting it depends on.
        psi.Environment["DOTNET_ENVIRONMENT"] = "Production";
        return psi;
    }
}
