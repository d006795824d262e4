using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace Gateway.Devices.Http;

/// <summary>Reads a request body into memory with a size cap (thingsboard.md §3: payload limits answer 413).</summary>
internal static class RequestBody
{
    /// <summary>The body, or null when it is longer than <paramref name="limit"/> (declared or actually sent).</summary>
    public static async Task<ReadOnlyMemory<byte>?> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength is long declared && declared > limit) return null;
        var buffer = new ArrayBufferWriter<byte>((int)Math.Clamp(request.ContentLength ?? 4096, 1, limit + 1L));
        var stream = request.Body;
        while (true)
        {
            var memory = buffer.GetMemory(4096);
            int read = await stream.ReadAsync(memory, cancellationToken).ConfigureAwait(false);
            if (read == 0) return buffer.WrittenMemory;
            buffer.Advance(read);
            if (buffer.WrittenCount > limit) return null;
        }
    }
}
