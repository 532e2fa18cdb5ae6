using System.Buffers.Binary;
using System.Numerics;

namespace AkkaBroker.Protocol.Records;

/// <summary>CRC-32C (Castagnoli), the checksum Kafka's record batch v2 uses; hardware-accelerated where available.</summary>
public static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (var b in data) crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }
}
