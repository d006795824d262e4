using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Gateway.Host.Configuration;
using Gateway.Storage.Devices;

namespace Gateway.Host.Cli;

/// <summary><c>devices add|list|remove</c>: the device registry, in the same database the service uses.</summary>
internal static class DevicesCommand
{
    /// <summary>
    /// The shortest access token <c>devices add --token</c> takes. A token is the only secret of a
    /// ThingsBoard device, guessed at the failure limiter's rate; 12 characters keep guessing hopeless
    /// and still take the tokens ThingsBoard's own examples use (A1_TEST_TOKEN).
    /// </summary>
    public const int MinTokenLength = 12;

    public static Command Create()
    {
        var devices = new Command("devices", "Register, list and remove devices");
        devices.Add(Add());
        devices.Add(List());
        devices.Add(Remove());
        return devices;
    }

    private static Command Add()
    {
        var name = new Argument<string>("NAME") { Description = "Device name, as the cloud will know it" };
        var token = new Option<string?>("--token") { Description = $"ThingsBoard access token to use, at least {MinTokenLength} characters [default: 20 random letters and digits]", HelpName = "T" };
        var type = new Option<string?>("--type") { Description = "Device type (ThingsBoard device profile) [default: default]", HelpName = "PROFILE" };
        var vendor = new Option<string?>("--vendor") { Description = "Exosite vendor: with --model and --sn the device awaits activation (POST /provision/activate) instead of getting a token", HelpName = "V" };
        var model = new Option<string?>("--model") { Description = "Exosite model", HelpName = "M" };
        var serial = new Option<string?>("--sn") { Description = "Exosite serial number", HelpName = "SN" };
        var pskIdentity = new Option<string?>("--psk-identity") { Description = "DTLS PSK identity: a coaps session with this identity and key acts for the device (token-less URIs)", HelpName = "ID" };
        var pskKey = new Option<string?>("--psk-key") { Description = "DTLS pre-shared key as text (UTF-8), as libcoap's -k takes it; stored encrypted, never shown again", HelpName = "KEY" };
        var pskKeyHex = new Option<string?>("--psk-key-hex") { Description = "DTLS pre-shared key as hex digits", HelpName = "HEX" };
        var certificate = new Option<string?>("--certificate") { Description = "Client certificate (PEM): a coaps session with it acts for the device (matched by SHA-256 fingerprint)", HelpName = "FILE" };
        var command = new Command("add", "Register a device and print its access token (shown only this once), or register an Exosite device awaiting activation")
        {
            name, token, type, vendor, model, serial, pskIdentity, pskKey, pskKeyHex, certificate,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var deviceName = parse.GetRequiredValue(name);
            CheckName(deviceName, "NAME");
            var exosite = new[] { parse.GetValue(vendor), parse.GetValue(model), parse.GetValue(serial) };
            var given = parse.GetValue(token);
            if (exosite.Any(v => v is not null) && exosite.Any(v => v is null))
                throw new ConfigurationException("--vendor, --model and --sn go together (an Exosite device needs all three)");
            if (exosite[0] is not null && given is not null)
                throw new ConfigurationException("--token: an Exosite device (--vendor/--model/--sn) gets a CIK at activation, not a token");
            if (given is not null && (given.Length is < MinTokenLength or > 256 || given.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '/' or '?' or '#' or '%')))
                throw new ConfigurationException($"--token: {MinTokenLength} to 256 characters without spaces, '/', '?', '#' or '%' (it travels in URL paths; the generated ones have 20)");
            var profile = parse.GetValue(type) ?? "default";
            CheckName(profile, "--type");
            var (identity, key) = PskOf(parse.GetValue(pskIdentity), parse.GetValue(pskKey), parse.GetValue(pskKeyHex));
            var fingerprint = parse.GetValue(certificate) is { } certificateFile ? CertificateFingerprint(certificateFile) : null;
            if (exosite[0] is not null && (identity is not null || fingerprint is not null))
                throw new ConfigurationException("--psk-identity/--certificate: DTLS credentials are for ThingsBoard-API devices, not Exosite ones");

            var context = CliContext.Create(parse);
            using var database = context.OpenDatabase();
            var store = new SqliteDeviceStore(database);
            string? issued;
            try
            {
                issued = await store.AddAsync(new NewDevice(deviceName, profile)
                {
                    Token = given, Vendor = exosite[0], Model = exosite[1], Serial = exosite[2],
                    PskIdentity = identity, PskKey = key, CertificateSha256 = fingerprint,
                }, cancellationToken);
            }
            catch (InvalidOperationException e)
            {
                throw new CommandFailedException(e.Message, e);
            }
            // The token alone on stdout, so `TOKEN=$(coap-gateway devices add NAME)` works; it is never shown again.
            if (issued is not null) await context.Output.WriteLineAsync(issued);
            else await context.Output.WriteLineAsync($"{deviceName}: registered, awaiting Exosite activation (vendor {exosite[0]}, model {exosite[1]}, serial {exosite[2]})");
            return 0;
        });
        return command;
    }

    private static Command List()
    {
        var json = CommonOptions.Json();
        var command = new Command("list", "List registered devices (never their credentials)") { json };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var context = CliContext.Create(parse);
            using var database = context.OpenDatabase(mustExist: true);
            var list = await new SqliteDeviceStore(database).ListAsync(cancellationToken);
            // The name ThingsBoard knows a device by when it was renamed there (gateway_device_renamed).
            var cloudNames = await new SqliteCloudNameStore(database).ListAsync(cancellationToken);
            string CloudName(string device) => cloudNames.GetValueOrDefault(device, device);
            if (parse.GetValue(json))
            {
                var rows = new JsonArray([.. list.Select(d => (JsonNode)new JsonObject
                {
                    ["name"] = d.Name,
                    ["cloud_name"] = CloudName(d.Name),
                    ["type"] = d.Profile,
                    ["credential"] = Credential(d),
                    ["vendor"] = d.Vendor,
                    ["model"] = d.Model,
                    ["serial"] = d.Serial,
                    ["activated"] = d.Serial is null ? null : d.Activated,
                    ["created"] = d.Created,
                })]);
                await context.Output.WriteLineAsync(CliJson.Write(rows));
                return 0;
            }
            var table = new TextTable("NAME", "CLOUD NAME", "TYPE", "CREDENTIAL", "EXOSITE IDENTITY", "CREATED");
            foreach (var d in list)
            {
                table.Add(d.Name, CloudName(d.Name), d.Profile, Credential(d), d.Serial is null ? "-" : $"{d.Vendor}/{d.Model}/{d.Serial}",
                    d.Created.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture));
            }
            await context.Output.WriteAsync(table.ToString());
            await context.Output.WriteLineAsync($"{list.Count} device{(list.Count == 1 ? "" : "s")}");
            return 0;
        });
        return command;
    }

    private static Command Remove()
    {
        var name = new Argument<string>("NAME") { Description = "Device to remove, with its attributes, downlinks and observe relations (its queued uplink rows are still delivered)" };
        var command = new Command("remove", "Remove a device") { name };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var deviceName = parse.GetRequiredValue(name);
            var context = CliContext.Create(parse);
            using var database = context.OpenDatabase(mustExist: true);
            if (!await new SqliteDeviceStore(database).RemoveAsync(deviceName, cancellationToken))
                throw new CommandFailedException($"no device named '{deviceName}'");
            await context.Output.WriteLineAsync($"{deviceName}: removed");
            return 0;
        });
        return command;
    }

    internal static string Credential(DeviceRecord d)
    {
        var kinds = new List<string>();
        if (d.HasToken) kinds.Add("token");
        if (d.PskIdentity is { } identity) kinds.Add($"psk ({identity})"); // the identity is a name (sent in the clear by DTLS), not the key
        if (d.HasCertificate) kinds.Add("certificate");
        if (d.Serial is not null) kinds.Add(d.Activated ? "cik" : "awaiting activation");
        return kinds.Count == 0 ? "none" : string.Join(", ", kinds);
    }

    /// <summary>The PSK identity and key bytes from the options, checked; (null, null) when none given.</summary>
    internal static (string? Identity, byte[]? Key) PskOf(string? identity, string? text, string? hex)
    {
        if (identity is null && text is null && hex is null) return (null, null);
        if (identity is null) throw new ConfigurationException("--psk-key/--psk-key-hex: needs --psk-identity");
        if (text is not null && hex is not null) throw new ConfigurationException("--psk-key and --psk-key-hex: give one of them");
        // RFC 4279 §5.1: identities up to 2^16-1 bytes; 128 keeps them printable and indexable.
        if (identity.Length is 0 or > 128 || identity.Any(char.IsControl))
            throw new ConfigurationException("--psk-identity: 1 to 128 characters without control characters");
        byte[] key;
        if (hex is not null)
        {
            try { key = Convert.FromHexString(hex); }
            catch (FormatException) { throw new ConfigurationException("--psk-key-hex: not an even number of hex digits"); }
        }
        else if (text is not null) key = System.Text.Encoding.UTF8.GetBytes(text);
        else throw new ConfigurationException("--psk-identity: needs --psk-key or --psk-key-hex");
        // RFC 4279 §5.3: up to 64 bytes; fewer than 8 is guessable offline from one captured handshake.
        if (key.Length is < 8 or > 64) throw new ConfigurationException("--psk-key/--psk-key-hex: the key must be 8 to 64 bytes");
        return (identity, key);
    }

    private static byte[] CertificateFingerprint(string file)
    {
        try
        {
            using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(file));
            return System.Security.Cryptography.SHA256.HashData(certificate.RawData);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new ConfigurationException($"--certificate: {file}: not a readable PEM certificate ({e.Message})");
        }
    }

    internal static void CheckName(string value, string what)
    {
        if (value.Length is 0 or > 255 || value.Any(char.IsControl) || value.Trim() != value)
            throw new ConfigurationException($"{what}: '{value}' must be 1 to 255 characters without control characters or surrounding spaces");
    }
}
