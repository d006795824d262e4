using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gateway.Devices.Refusals;
using Gateway.Storage.Devices;
using Microsoft.Extensions.Logging;

namespace Gateway.Devices.ThingsBoard;

/// <summary>
/// <c>POST /api/v1/provision</c>, entirely local so it works offline (thingsboard.md §1.6, §2.7),
/// with ThingsBoard's ALLOW_CREATE_NEW_DEVICES strategy: key and secret must match a configured
/// profile (else NOT_FOUND); a blank name or an existing device is FAILURE; otherwise the device is
/// created with the requested or a new 20-character access token and SUCCESS carries it. Answers are
/// ThingsBoard's JSON byte for byte; the CoAP status is 2.01 on SUCCESS and 4.00 otherwise (§2.7).
/// Deviations: only ACCESS_TOKEN credentials (MQTT_BASIC and X509_CERTIFICATE → FAILURE); a payload that is
/// not JSON is 4.00 without body (ThingsBoard would try protobuf); NOT_FOUND counts against the source's
/// failure limit (reliability.md §2.4) so secrets cannot be brute-forced.
/// </summary>
public sealed class ProvisioningService(IDeviceStore devices, DeviceAuthenticator auth, ProvisioningOptions options, ILogger<ProvisioningService> logger,
    RefusalLog? refusals = null)
{
    private static readonly byte[] NotFoundBody = """{"errorMsg":"Provision data was not found!","status":"NOT_FOUND"}"""u8.ToArray();
    private static readonly byte[] FailureBody = """{"errorMsg":"Failed to provision device!","status":"FAILURE"}"""u8.ToArray();

    public async ValueTask<DeviceApiResult> ProvisionAsync(ReadOnlyMemory<byte> payload, DeviceRequestContext context, CancellationToken cancellationToken = default)
    {
        if (auth.Limiter.RefuseIfSilenced(context.Source)) return DeviceApiResult.Silent;
        string? name, key, secret, credentialsType, token;
        try
        {
            using var document = JsonText.Parse(payload);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new PayloadException("Provisioning request must be a JSON object.");
            name = Text(root, "deviceName");
            key = Text(root, "provisionDeviceKey");
            secret = Text(root, "provisionDeviceSecret");
            credentialsType = Text(root, "credentialsType");
            token = Text(root, "token");
        }
        catch (PayloadException e)
        {
            refusals?.Report(RefusalKind.MalformedJson, context.Source);
            return DeviceApiResult.Invalid(e.Message);
        }

        var profile = key is null || secret is null ? null : options.Profiles.FirstOrDefault(p => p.Key == key);
        if (profile is null || profile.Secret.Length == 0 || !FixedTimeEquals(profile.Secret, secret!))
        {
            DevicesLog.ProvisionRefused(logger, context.Source, "NOT_FOUND");
            var answer = new DeviceApiResult(DeviceApiStatus.BadRequest, NotFoundBody);
            return auth.Failure(context.Source, answer);
        }
        if (string.IsNullOrWhiteSpace(name) || (credentialsType is not null && credentialsType != "ACCESS_TOKEN")
            || await devices.FindByNameAsync(name, cancellationToken).ConfigureAwait(false) is not null)
        {
            DevicesLog.ProvisionRefused(logger, context.Source, "FAILURE");
            return new DeviceApiResult(DeviceApiStatus.BadRequest, FailureBody);
        }
        string? issued;
        try
        {
            issued = await devices.AddAsync(new NewDevice(name, profile.Type) { Token = string.IsNullOrEmpty(token) ? null : token }, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Name taken meanwhile or token in use: ThingsBoard's FAILURE.
            DevicesLog.ProvisionRefused(logger, context.Source, "FAILURE");
            return new DeviceApiResult(DeviceApiStatus.BadRequest, FailureBody);
        }
        DevicesLog.Provisioned(logger, name, profile.Type);
        var body = new MemoryStream();
        using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            writer.WriteString("credentialsValue", issued);
            writer.WriteString("credentialsType", "ACCESS_TOKEN");
            writer.WriteString("status", "SUCCESS");
            writer.WriteEndObject();
        }
        return new DeviceApiResult(DeviceApiStatus.Created, body.ToArray());
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()
            : null;

    private static bool FixedTimeEquals(string expected, string actual) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(expected)), SHA256.HashData(Encoding.UTF8.GetBytes(actual)));
}
