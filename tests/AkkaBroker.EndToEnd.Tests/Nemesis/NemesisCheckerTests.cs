using Xunit;

namespace AkkaBroker.EndToEnd.Tests.Nemesis;

/// <summary>The nemesis checker on small hand-made histories: clean ones pass, and each kind of damage is counted.</summary>
public class NemesisCheckerTests
{
    // Partition 0 holds v0..v2 and partition 1 holds v3..v4 in a correct run.
    private static readonly AcknowledgedRecord[] Acked = [new(0, 0, "v0"), new(0, 1, "v1"), new(0, 2, "v2"), new(1, 0, "v3"), new(1, 1, "v4")];
    private static readonly (int, long)[] Consumed = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)];

    private static LogRead Read(string source, params (int Partition, long Offset, string Value)[] records) =>
        new(source, records.GroupBy(r => r.Partition).ToDictionary(g => g.Key,
            g => (IReadOnlyDictionary<long, LoggedRecord>)g.ToDictionary(r => r.Offset, r => new LoggedRecord("k" + r.Partition, r.Value))));

    private static LogRead Good(string source) => Read(source, (0, 0, "v0"), (0, 1, "v1"), (0, 2, "v2"), (1, 0, "v3"), (1, 1, "v4"));

    [Fact]
    public void A_clean_history_has_every_count_zero()
    {
        var verdict = new NemesisHistory(Acked, Consumed, Good("broker 1"), Good("broker 2")).Check();
        Assert.True(verdict.IsClean, verdict.ToString());
    }

    [Fact]
    public void Unacknowledged_records_in_the_log_and_offsets_not_yet_consumed_are_no_finding()
    {
        // A record whose acknowledgement was lost with its leader may still be in the log; the group may lag behind.
        var read = Read("b", (0, 0, "v0"), (0, 1, "v1"), (0, 2, "v2"), (0, 3, "unacked"), (1, 0, "v3"), (1, 1, "v4"));
        var verdict = new NemesisHistory(Acked, [(0, 0)], read, read).Check();
        Assert.True(verdict.IsClean, verdict.ToString());
    }

    [Fact]
    public void An_acknowledged_record_missing_from_one_read_counts_as_lost()
    {
        var truncated = Read("broker 2", (0, 0, "v0"), (0, 1, "v1"), (1, 0, "v3"), (1, 1, "v4"));
        var verdict = new NemesisHistory(Acked, [], Good("broker 1"), truncated).Check();
        Assert.Equal(1, verdict.Lost.Count);
        Assert.Contains("'v2'", verdict.Lost.Examples[0]);
        Assert.Contains("broker 2", verdict.Lost.Examples[0]);
    }

    [Fact]
    public void A_value_written_at_two_offsets_counts_as_duplicated()
    {
        var twice = Read("b", (0, 0, "v0"), (0, 1, "v1"), (0, 2, "v2"), (0, 3, "v1"), (1, 0, "v3"), (1, 1, "v4"));
        var verdict = new NemesisHistory(Acked, Consumed, twice, twice).Check();
        Assert.Equal(2, verdict.Duplicated.Count); // once per read
        Assert.Contains("p0@1, p0@3", verdict.Duplicated.Examples[0]);
        Assert.Equal(0, verdict.Lost.Count + verdict.Divergent.Count + verdict.Overwritten.Count + verdict.ConsumedButMissing.Count);
    }

    [Fact]
    public void Offsets_the_two_reads_disagree_on_or_only_one_has_count_as_divergent()
    {
        var other = Read("broker 3", (0, 0, "v0"), (0, 1, "v1"), (0, 2, "v2"), (0, 3, "extra"), (1, 0, "v3"), (1, 1, "v4"));
        var differentKey = new LogRead("broker 3", new Dictionary<int, IReadOnlyDictionary<long, LoggedRecord>>(other.Partitions)
        {
            [1] = new Dictionary<long, LoggedRecord> { [0] = new("another key", "v3"), [1] = new("k1", "v4") },
        });
        var verdict = new NemesisHistory(Acked, Consumed, Good("broker 1"), differentKey).Check();
        Assert.Equal(2, verdict.Divergent.Count);
        Assert.Contains("p0@3: nothing through broker 1, 'k0:extra' through broker 3", verdict.Divergent.Examples);
        Assert.Contains("p1@0: 'k1:v3' through broker 1, 'another key:v3' through broker 3", verdict.Divergent.Examples);
    }

    [Fact]
    public void An_acknowledged_offset_that_holds_another_record_counts_as_overwritten()
    {
        // After a bad truncation a new leader wrote other records where acknowledged ones were.
        var rewritten = Read("b", (0, 0, "v0"), (0, 1, "v9"), (0, 2, "v1"), (0, 3, "v2"), (1, 0, "v3"), (1, 1, "v4"));
        var verdict = new NemesisHistory(Acked, [], rewritten, rewritten).Check();
        Assert.Equal(4, verdict.Overwritten.Count); // p0@1 and p0@2, in each read
        Assert.Equal("p0@1 acknowledged 'v1', holds 'v9' in the read through b", verdict.Overwritten.Examples[0]);
        Assert.Equal(0, verdict.Lost.Count);
    }

    [Fact]
    public void A_consumed_offset_beyond_the_final_log_counts_as_consumed_but_missing()
    {
        // The group read p1@2 from a leader that later lost it: the final log ends at p1@1.
        var verdict = new NemesisHistory(Acked, [.. Consumed, (1, 2), (1, 2)], Good("broker 1"), Good("broker 2")).Check();
        Assert.Equal(1, verdict.ConsumedButMissing.Count);
        Assert.Equal("p1@2 consumed by the group, absent from the read through broker 1 and broker 2", verdict.ConsumedButMissing.Examples[0]);
    }

    [Fact]
    public void Examples_are_capped_but_counts_are_not()
    {
        var empty = Read("b");
        var verdict = new NemesisHistory(Acked, [], empty, empty).Check(examples: 2);
        Assert.Equal(5, verdict.Lost.Count);
        Assert.Equal(2, verdict.Lost.Examples.Count);
        Assert.False(verdict.IsClean);
        Assert.StartsWith("acknowledged records lost: 5", verdict.ToString());
    }

    [Fact]
    public void Acknowledged_records_are_read_from_the_producer_s_success_events_only()
    {
        string[] lines =
        [
            """{"timestamp":1,"name":"startup_complete"}""",
            """{"timestamp":2,"name":"producer_send_success","key":"0","value":"0","topic":"t","partition":2,"offset":7}""",
            """{"timestamp":3,"name":"producer_send_error","exception":"NotEnoughReplicas","message":"m","topic":"t","key":"1","value":"1"}""",
            """{"timestamp":4,"name":"tool_data","sent":2,"acked":1,"failed":1}""",
        ];
        Assert.Equal([new AcknowledgedRecord(2, 7, "0")], NemesisHistory.AcknowledgedFrom(lines));
    }
}
