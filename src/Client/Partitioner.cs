namespace AkkaBroker.Client;

/// <summary>
/// Kafka's default partitioner: keyed records go to <c>toPositive(murmur2(key)) % partitions</c>, exactly as the Java
/// client computes it, so the same key lands on the same partition whichever client wrote it.
/// </summary>
public static class Murmur2Partitioner
{
    /// <summary>The partition of a serialized key.</summary>
    public static int ForKey(ReadOnlySpan<byte> key, int partitionCount) => (Murmur2(key) & 0x7fffffff) % partitionCount;

    /// <summary>Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), seed 0x9747b28c.</summary>
    public static int Murmur2(ReadOnlySpan<byte> data)
    {
        unchecked
        {
            var length = data.Length;
            const int seed = (int)0x9747b28c;
            const int m = 0x5bd1e995;
            const int r = 24;
            var h = seed ^ length;
            var length4 = length / 4;
            for (var i = 0; i < length4; i++)
            {
                var i4 = i * 4;
                var k = (data[i4] & 0xff) + ((data[i4 + 1] & 0xff) << 8) + ((data[i4 + 2] & 0xff) << 16) + ((data[i4 + 3] & 0xff) << 24);
                k *= m;
                k ^= (int)((uint)k >> r);
                k *= m;
                h *= m;
                h ^= k;
            }
            var tail = length & ~3;
            switch (length % 4)
            {
                case 3:
                    h ^= (data[tail + 2] & 0xff) << 16;
                    goto case 2;
                case 2:
                    h ^= (data[tail + 1] & 0xff) << 8;
                    goto case 1;
                case 1:
                    h ^= data[tail] & 0xff;
                    h *= m;
                    break;
            }
            h ^= (int)((uint)h >> 13);
            h *= m;
            h ^= (int)((uint)h >> 15);
            return h;
        }
    }
}
