using System.Text.Json;

namespace AkkaBroker.EndToEnd.Tests;

/// <summary>What a <c>verifiable-consumer</c> reported, read from its JSON lines.</summary>
public static class VerifiableConsumerOutput
{
    /// <summary>Every (partition, offset) its <c>records_consumed</c> events cover, in the order reported.</summary>
    public static List<(int Partition, long Offset)> Consumed(IEnumerable<string> lines)
    {
        var result = new List<(int, long)>();
        foreach (var line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            var e = doc.RootElement;
            if (e.GetProperty("name").GetString() != "records_consumed") continue;
            foreach (var p in e.GetProperty("partitions").EnumerateArray())
                for (var o = p.GetProperty("minOffset").GetInt64(); o <= p.GetProperty("maxOffset").GetInt64(); o++)
                    result.Add((p.GetProperty("partition").GetInt32(), o));
        }
        return result;
    }
}
