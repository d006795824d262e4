using System.Text;

namespace Gateway.Storage.Outbox;

/// <summary>
/// The device names a read has met, each one string: a row's name, as SQLite hands it over in UTF-8, is looked up
/// without making a string, and a string is made only for a name not met before.
/// </summary>
internal sealed class DeviceNames
{
    // Device names are short; one of more UTF-8 bytes than this (never fewer chars than bytes) is decoded to a string.
    private const int StackChars = 256;

    private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _byChars;

    public DeviceNames() => _byChars = _names.GetAlternateLookup<ReadOnlySpan<char>>();

    public string Of(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > StackChars) return Intern(Encoding.UTF8.GetString(utf8));
        Span<char> chars = stackalloc char[StackChars];
        var name = chars[..Encoding.UTF8.GetChars(utf8, chars)];
        if (_byChars.TryGetValue(name, out var known)) return known;
        var made = name.ToString();
        _names.Add(made, made);
        return made;
    }

    private string Intern(string name)
    {
        if (_names.TryGetValue(name, out var known)) return known;
        _names.Add(name, name);
        return name;
    }
}
