using System.Text;
using Gateway.Storage.Outbox;

namespace Gateway.Storage.Tests.Outbox;

public sealed class DeviceNamesTests
{
    [Fact]
    public void A_name_met_again_is_the_same_string()
    {
        var names = new DeviceNames();

        var first = names.Of("Dev A"u8);
        var again = names.Of(Encoding.UTF8.GetBytes("Dev A"));

        Assert.Equal("Dev A", first);
        Assert.Same(first, again);
        Assert.NotSame(first, names.Of("Dev B"u8));
        Assert.Equal("Dev B", names.Of("Dev B"u8));
    }

    [Theory]
    [InlineData("Ünïcødé-ß-😀")]
    [InlineData("")]
    public void Names_are_decoded_from_utf8(string name)
    {
        var names = new DeviceNames();

        Assert.Equal(name, names.Of(Encoding.UTF8.GetBytes(name)));
        Assert.Same(names.Of(Encoding.UTF8.GetBytes(name)), names.Of(Encoding.UTF8.GetBytes(name)));
    }

    [Fact]
    public void A_name_longer_than_the_stack_buffer_is_kept_too()
    {
        var names = new DeviceNames();
        var name = new string('é', 200); // 400 UTF-8 bytes

        var first = names.Of(Encoding.UTF8.GetBytes(name));

        Assert.Equal(name, first);
        Assert.Same(first, names.Of(Encoding.UTF8.GetBytes(name)));
    }
}
