namespace Gateway.TestKit;

/// <summary>
/// Fixed-seed mutations of a valid datagram (bit flips, truncation, inserted and edge-value bytes,
/// appended noise, now and then random bytes): the fuzzers' one mutator, in-process and over UDP.
/// </summary>
public static class DatagramMutator
{
    public static byte[] Mutate(Random random, byte[] seed)
    {
        var bytes = new List<byte>(seed);
        int edits = 1 + random.Next(4);
        for (int e = 0; e < edits; e++)
        {
            switch (random.Next(6))
            {
                case 0 when bytes.Count > 0: // flip a bit
                    int at = random.Next(bytes.Count);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0: // truncate
                    int keep = random.Next(bytes.Count);
                    bytes.RemoveRange(keep, bytes.Count - keep);
                    break;
                case 2: // insert a random byte
                    bytes.Insert(random.Next(bytes.Count + 1), (byte)random.Next(256));
                    break;
                case 3 when bytes.Count > 0: // set a byte to an edge value
                    bytes[random.Next(bytes.Count)] = (byte)(random.Next(3) switch { 0 => 0xFF, 1 => 0x0D, _ => 0xEE });
                    break;
                case 4: // append noise
                    for (int n = random.Next(8); n > 0; n--) bytes.Add((byte)random.Next(256));
                    break;
                default: // random bytes of random length
                    if (random.Next(20) == 0)
                    {
                        bytes.Clear();
                        for (int n = random.Next(32); n > 0; n--) bytes.Add((byte)random.Next(256));
                    }
                    break;
            }
        }
        return [.. bytes];
    }
}
