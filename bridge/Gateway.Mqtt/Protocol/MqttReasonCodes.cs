namespace Gateway.Mqtt.Protocol;

/// <summary>Helpers over <see cref="MqttReasonCode"/>: success test and human text (MQTTnet maps 3.1.1 return codes onto these).</summary>
public static class MqttReasonCodes
{
    /// <summary>MQTT 5.0 §2.4: "Reason Code values of 0x80 or greater indicate failure".</summary>
    public static bool IsSuccess(this MqttReasonCode code) => (byte)code < 0x80;

    /// <summary>"0x86 BadUserNameOrPassword": the form used in logs and exception messages.</summary>
    public static string Describe(this MqttReasonCode code) =>
        Enum.IsDefined(code) ? $"0x{(byte)code:X2} {code}" : $"0x{(byte)code:X2}";
}
