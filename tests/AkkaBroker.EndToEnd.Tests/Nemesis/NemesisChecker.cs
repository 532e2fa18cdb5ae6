using System.Text.Json;

namespace AkkaBroker.EndToEnd.Tests.Nemesis;

/// <summary>A record as a reader found it at one offset of the final log.</summary>
public sealed record LoggedRecord(string? Key, string Value);

/// <summary>A record the producer was told is written (acks=all): where, and what it wrote.</summary>
public sealed record AcknowledgedRecord(int Partition, long Offset, string Value);

/// <summary>One full read of every partition from the beginning: partition -> offset -> record.</summary>
public sealed class LogRead(string source, IReadOnlyDictionary<int, IReadOnlyDictionary<long, LoggedRecord>> partitions)
{
    /// <summary>Which broker served it, for the report.</summary>
    public string Source { get; } = source;

    public IReadOnlyDictionary<int, IReadOnlyDictionary<long, LoggedRecord>> Partitions { get; } = partitions;

    public LoggedRecord? At(int partition, long offset) =>
        Partitions.TryGetValue(partition, out var log) && log.TryGetValue(offset, out var r) ? r : null;

    public int Count => Partitions.Values.Sum(p => p.Count);
}

/// <summary>
/// What a nemesis run observed: the producer's acknowledged records, the offsets a consumer group consumed, and two
/// reads of the final log through different brokers. <see cref="Check"/> turns it into a <see cref="NemesisVerdict"/>.
/// Pure: no processes, no clock, so a bad history can be written by hand and the checker shown to catch it.
/// </summary>
public sealed class NemesisHistory(IReadOnlyList<AcknowledgedRecord> acknowledged, IReadOnlyList<(int Partition, long Offset)> consumed, LogRead first, LogRead second)
{
    public IReadOnlyList<AcknowledgedRecord> Acknowledged { get; } = acknowledged;
    public IReadOnlyList<(int Partition, long Offset)> Consumed { get; } = consumed;
    public LogRead First { get; } = first;
    public LogRead Second { get; } = second;

    /// <summary>The <c>producer_send_success</c> events of a <c>verifiable-producer</c>'s JSON lines.</summary>
    public static List<AcknowledgedRecord> AcknowledgedFrom(IEnumerable<string> producerLines)
    {
        var result = new List<AcknowledgedRecord>();
        foreach (var line in producerLines)
        {
            using var doc = JsonDocument.Parse(line);
            var e = doc.RootElement;
            if (e.GetProperty("name").GetString() != "producer_send_success") continue;
            result.Add(new AcknowledgedRecord(e.GetProperty("partition").GetInt32(), e.GetProperty("offset").GetInt64(), e.GetProperty("value").GetString()!));
        }
        return result;
    }

    /// <summary>The five counts, each with up to <paramref name="examples"/> examples. Every count is zero on a correct run.</summary>
    public NemesisVerdict Check(int examples = 5)
    {
        var reads = new[] { First, Second };
        var verdict = new NemesisVerdict(examples);

        // Lost: an acknowledged value that either read does not have anywhere in its partition (a record that moved to
        // another offset is not lost, but is caught below as an acknowledged offset holding another record).
        var valuesByRead = reads.Select(r => r.Partitions.ToDictionary(p => p.Key, p => p.Value.Values.Select(v => v.Value).ToHashSet())).ToArray();
        foreach (var a in Acknowledged.DistinctBy(a => (a.Partition, a.Offset, a.Value)))
        {
            var missingFrom = reads.Where((r, i) => !valuesByRead[i].TryGetValue(a.Partition, out var values) || !values.Contains(a.Value)).Select(r => r.Source).ToList();
            if (missingFrom.Count > 0)
                verdict.Lost.Add($"p{a.Partition}@{a.Offset} '{a.Value}' acknowledged, absent from the read through {string.Join(" and ", missingFrom)}");
        }

        // Duplicated: one value at two or more offsets of a read (values are unique per producer run).
        foreach (var read in reads)
            foreach (var dup in read.Partitions.SelectMany(p => p.Value.Select(r => (Partition: p.Key, Offset: r.Key, r.Value.Value)))
                         .GroupBy(r => r.Value).Where(g => g.Count() > 1))
                verdict.Duplicated.Add($"'{dup.Key}' at {string.Join(", ", dup.Select(d => $"p{d.Partition}@{d.Offset}"))} in the read through {read.Source}");

        // Divergent: an offset the two reads disagree on, including one that only one of them has.
        foreach (var partition in First.Partitions.Keys.Union(Second.Partitions.Keys).Order())
        {
            var a = First.Partitions.GetValueOrDefault(partition) ?? new Dictionary<long, LoggedRecord>();
            var b = Second.Partitions.GetValueOrDefault(partition) ?? new Dictionary<long, LoggedRecord>();
            foreach (var offset in a.Keys.Union(b.Keys).Order())
            {
                var ra = a.GetValueOrDefault(offset);
                var rb = b.GetValueOrDefault(offset);
                if (ra != rb)
                    verdict.Divergent.Add($"p{partition}@{offset}: {Show(ra)} through {First.Source}, {Show(rb)} through {Second.Source}");
            }
        }

        // Overwritten: an acknowledged offset whose record in a read is another one.
        foreach (var a in Acknowledged)
            foreach (var read in reads)
                if (read.At(a.Partition, a.Offset) is { } found && found.Value != a.Value)
                    verdict.Overwritten.Add($"p{a.Partition}@{a.Offset} acknowledged '{a.Value}', holds '{found.Value}' in the read through {read.Source}");

        // Consumed but missing: the group was given a record at an offset the final log does not have.
        foreach (var (partition, offset) in Consumed.Distinct())
        {
            var missingFrom = reads.Where(r => r.At(partition, offset) == null).Select(r => r.Source).ToList();
            if (missingFrom.Count > 0)
                verdict.ConsumedButMissing.Add($"p{partition}@{offset} consumed by the group, absent from the read through {string.Join(" and ", missingFrom)}");
        }
        return verdict;
    }

    private static string Show(LoggedRecord? r) => r == null ? "nothing" : $"'{r.Key}:{r.Value}'";
}

/// <summary>The checker's five counts, each with its first examples; every count is zero on a correct run.</summary>
public sealed class NemesisVerdict(int examples)
{
    public sealed class Finding(int examples)
    {
        private readonly List<string> _examples = new();

        public int Count { get; private set; }
        public IReadOnlyList<string> Examples => _examples;

        internal void Add(string example)
        {
            Count++;
            if (_examples.Count < examples) _examples.Add(example);
        }
    }

    /// <summary>Acknowledged records that a read of the final log does not have.</summary>
    public Finding Lost { get; } = new(examples);

    /// <summary>Values found at more than one offset of a read.</summary>
    public Finding Duplicated { get; } = new(examples);

    /// <summary>Offsets whose record differs between the two reads (or that only one read has).</summary>
    public Finding Divergent { get; } = new(examples);

    /// <summary>Acknowledged offsets that now hold another record.</summary>
    public Finding Overwritten { get; } = new(examples);

    /// <summary>Offsets the consumer group consumed that the final log does not have.</summary>
    public Finding ConsumedButMissing { get; } = new(examples);

    public bool IsClean => Lost.Count + Duplicated.Count + Divergent.Count + Overwritten.Count + ConsumedButMissing.Count == 0;

    private IEnumerable<(string Name, Finding Finding)> All =>
    [
        ("acknowledged records lost", Lost),
        ("records duplicated in the log", Duplicated),
        ("offsets differing between the two reads", Divergent),
        ("acknowledged offsets holding another record", Overwritten),
        ("consumed offsets missing from the final log", ConsumedButMissing),
    ];

    /// <summary>One line per count, then its examples indented below it.</summary>
    public override string ToString() =>
        string.Join("\n", All.Select(f => $"{f.Name}: {f.Finding.Count}" + string.Concat(f.Finding.Examples.Select(e => "\n    e.g. " + e))));
}
