namespace Gateway.Mqtt.Protocol;

/// <summary>Helpers over <see cref="MqttReasonCode"/>: success test, 3.1.1 mapping, human text.</summary>
public static class MqttReasonCodes
{
    /// <summary>MQTT 5.0 §2.4: "Reason Code values of 0x80 or greater indicate failure".</summary>
    public static bool IsSuccess(this MqttReasonCode code) => (byte)code < 0x80;

    /// <summary>
    /// MQTT 3.1.1 §3.2.2.3 CONNACK return codes 0–5 onto their MQTT 5 equivalents (MQTT 5.0 §3.2.2.2
    /// names the same conditions). Returns false for the reserved values 6–255.
    /// </summary>
    public static bool TryFromV311ConnectReturnCode(byte returnCode, out MqttReasonCode code)
    {
        code = returnCode switch
        {
            0 => MqttReasonCode.Success,
            1 => MqttReasonCode.UnsupportedProtocolVersion,
            2 => MqttReasonCode.ClientIdentifierNotValid,
            3 => MqttReasonCode.ServerUnavailable,
            4 => MqttReasonCode.BadUserNameOrPassword,
            5 => MqttReasonCode.NotAuthorized,
            _ => (MqttReasonCode)0xFF,
        };
        return returnCode <= 5;
    }

    /// <summary>The inverse of <see cref="TryFromV311ConnectReturnCode"/>; false when 3.1.1 has no such code.</summary>
    public static bool TryToV311ConnectReturnCode(MqttReasonCode code, out byte returnCode)
    {
        returnCode = code switch
        {
            MqttReasonCode.Success => 0,
            MqttReasonCode.UnsupportedProtocolVersion => 1,
            MqttReasonCode.ClientIdentifierNotValid => 2,
            MqttReasonCode.ServerUnavailable => 3,
            MqttReasonCode.BadUserNameOrPassword => 4,
            MqttReasonCode.NotAuthorized => 5,
            _ => 0xFF,
        };
        return returnCode != 0xFF;
    }

    /// <summary>"0x86 BadUserNameOrPassword": the form used in logs and exception messages.</summary>
    public static string Describe(this MqttReasonCode code) =>
        Enum.IsDefined(code) ? $"0x{(byte)code:X2} {code}" : $"0x{(byte)code:X2}";
}
