using System.Text;
using System.Text.Json;
using Gateway.Bridge.Firmware;
using Gateway.TestKit;

namespace Gateway.Bridge.Tests.Firmware;

/// <summary>The <c>fw_*</c> assignment as the cloud sends it and as the pending record stores it: what is accepted, what is refused with a reason.</summary>
public class FirmwareAssignmentTests
{
    private const string Record = """{"device":"Dev A","data":{"fw_title":"fw","fw_version":2.1,"fw_size":3000,"fw_checksum_algorithm":"crc32","fw_checksum":"2639f4cb","fw_url":"https://cdn.example/a.bin?sig=x"}}""";

    [Fact]
    public void Record_RoundTrips()
    {
        var assignment = FirmwareAssignment.FromJson(Encoding.UTF8.GetBytes(Record))!;
        Assert.Equal(("Dev A", "fw", "2.1", 3000L, "crc32"), (assignment.Device, assignment.Title, assignment.Version, assignment.Size!.Value, assignment.Algorithm));
        Assert.Equal("firmware/fw/2.1", assignment.PackageName);
        Assert.Equal(Record, Encoding.UTF8.GetString(assignment.ToJson()));
    }

    [Theory]
    [InlineData("fw_url", "\"ftp://cdn.example/a.bin\"", "fw_url is not an absolute http(s) URL")]
    [InlineData("fw_url", "\"a.bin\"", "fw_url is not an absolute http(s) URL")]
    [InlineData("fw_title", "\"../etc\"", "fw_title or fw_version holds '/' or control characters")]
    [InlineData("fw_version", "null", "fw_title and fw_version are required")]
    [InlineData("fw_size", "-1", "fw_size is not a non-negative integer")]
    [InlineData("fw_size", "1.5", "fw_size is not a non-negative integer")]
    [InlineData("fw_checksum_algorithm", "\"SHA1\"", "unknown fw_checksum_algorithm 'SHA1'")]
    public void BadAssignment_IsRefusedWithAReason(string key, string json, string problem)
    {
        var attributes = JsonDocument.Parse(Record).RootElement.GetProperty("data").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText());
        attributes[key] = json;
        Assert.Null(FirmwareAssignment.Parse("Dev A", attributes, out var reason));
        Assert.Equal(problem, reason);
    }

    [Fact]
    public void MutatedRecords_NeverThrow()
    {
        // Fixed seed: a pending record read back from storage may be anything; it must parse or be refused, never crash the loop.
        var random = new Random(2323);
        var seed = Encoding.UTF8.GetBytes(Record);
        int parsed = 0;
        for (int i = 0; i < 20_000; i++)
        {
            if (FirmwareAssignment.FromJson(DatagramMutator.Mutate(random, seed)) is not null) parsed++;
        }
        Assert.InRange(parsed, 1, 19_999);
    }
}
