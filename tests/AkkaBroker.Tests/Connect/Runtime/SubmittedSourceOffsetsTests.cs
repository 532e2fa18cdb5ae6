using AkkaBroker.Connect.Runtime;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace AkkaBroker.Tests.Connect.Runtime;

/// <summary>
/// Which source offsets a source task may store: per source partition, the offset of the last record such that it and
/// every record submitted before it from that partition are acknowledged, whatever order acknowledgements come in.
/// </summary>
public sealed class SubmittedSourceOffsetsTests
{
    private static IReadOnlyDictionary<string, object?> Partition(string file) => new Dictionary<string, object?> { ["file"] = file };

    private static IReadOnlyDictionary<string, object?> Offset(long position) => new Dictionary<string, object?> { ["position"] = position };

    private static Dictionary<string, long?> Committable(SubmittedSourceOffsets offsets) =>
        offsets.TakeCommittable().ToDictionary(c => (string)c.Partition["file"]!, c => (long?)c.Offset?["position"]);

    [Fact]
    public void Acknowledged_out_of_order_a_partition_is_committable_only_up_to_its_first_unacknowledged_record()
    {
        var offsets = new SubmittedSourceOffsets();
        var records = Enumerable.Range(1, 4).Select(i => offsets.Submit(Partition("a"), Offset(i))).ToArray();

        offsets.Acknowledge(records[2]);
        offsets.Acknowledge(records[1]);
        Assert.Empty(offsets.TakeCommittable());

        offsets.Acknowledge(records[0]);
        Assert.Equal(new Dictionary<string, long?> { ["a"] = 3 }, Committable(offsets));

        offsets.Acknowledge(records[3]);
        Assert.Equal(new Dictionary<string, long?> { ["a"] = 4 }, Committable(offsets));
    }

    [Fact]
    public void Offsets_returned_after_a_failed_store_are_taken_again_unless_their_partition_moved_on()
    {
        var offsets = new SubmittedSourceOffsets();
        offsets.Acknowledge(offsets.Submit(Partition("a"), Offset(1)));
        offsets.Acknowledge(offsets.Submit(Partition("b"), Offset(10)));
        var taken = offsets.TakeCommittable();
        Assert.Equal(2, taken.Count);

        offsets.Return(taken);
        offsets.Acknowledge(offsets.Submit(Partition("b"), Offset(11)));
        Assert.Equal(new Dictionary<string, long?> { ["a"] = 1, ["b"] = 11 }, Committable(offsets));
        Assert.Empty(offsets.TakeCommittable());
    }

    [Fact]
    public void An_unacknowledged_record_of_one_partition_does_not_hold_back_another_partition()
    {
        var offsets = new SubmittedSourceOffsets();
        var a1 = offsets.Submit(Partition("a"), Offset(1));
        var b1 = offsets.Submit(Partition("b"), Offset(10));
        var a2 = offsets.Submit(Partition("a"), Offset(2));
        var b2 = offsets.Submit(Partition("b"), Offset(20));

        offsets.Acknowledge(a2);
        offsets.Acknowledge(b1);
        offsets.Acknowledge(b2);
        Assert.Equal(new Dictionary<string, long?> { ["b"] = 20 }, Committable(offsets));

        offsets.Acknowledge(a1);
        Assert.Equal(new Dictionary<string, long?> { ["a"] = 2 }, Committable(offsets));
    }

    [Fact]
    public void Partitions_equal_as_maps_are_one_partition_whatever_the_order_of_their_keys()
    {
        var offsets = new SubmittedSourceOffsets();
        var first = offsets.Submit(new Dictionary<string, object?> { ["file"] = "a", ["shard"] = 1L }, Offset(1));
        var second = offsets.Submit(new Dictionary<string, object?> { ["shard"] = 1L, ["file"] = "a" }, Offset(2));

        offsets.Acknowledge(second);
        Assert.Empty(offsets.TakeCommittable());
        offsets.Acknowledge(first);

        var committable = Assert.Single(offsets.TakeCommittable());
        Assert.Equal(2L, committable.Offset!["position"]);
    }

    [Fact]
    public void A_record_without_an_offset_does_not_move_the_committable_offset()
    {
        var offsets = new SubmittedSourceOffsets();
        var withOffset = offsets.Submit(Partition("a"), Offset(7));
        var withoutOffset = offsets.Submit(Partition("a"), null);

        offsets.Acknowledge(withOffset);
        offsets.Acknowledge(withoutOffset);
        Assert.Equal(new Dictionary<string, long?> { ["a"] = 7 }, Committable(offsets));

        var alone = offsets.Submit(Partition("a"), null);
        offsets.Acknowledge(alone);
        Assert.Empty(offsets.TakeCommittable());
    }

    [Fact]
    public void A_record_without_a_source_partition_is_not_tracked()
    {
        var offsets = new SubmittedSourceOffsets();

        var submitted = offsets.Submit(null, Offset(1));
        offsets.Acknowledge(submitted);

        Assert.Null(submitted);
        Assert.Equal(0, offsets.InFlight);
        Assert.Empty(offsets.TakeCommittable());
    }

    [Fact]
    public void Take_committable_returns_a_partition_once_per_move()
    {
        var offsets = new SubmittedSourceOffsets();
        offsets.Acknowledge(offsets.Submit(Partition("a"), Offset(1)));

        Assert.Single(offsets.TakeCommittable());
        Assert.Empty(offsets.TakeCommittable());

        var pending = offsets.Submit(Partition("a"), Offset(2));
        Assert.Empty(offsets.TakeCommittable());
        offsets.Acknowledge(pending);
        Assert.Equal(new Dictionary<string, long?> { ["a"] = 2 }, Committable(offsets));
        Assert.Empty(offsets.TakeCommittable());
    }

    [Fact]
    public void In_flight_counts_submitted_records_not_yet_acknowledged_and_a_second_acknowledgement_counts_once()
    {
        var offsets = new SubmittedSourceOffsets();
        var first = offsets.Submit(Partition("a"), Offset(1));
        var second = offsets.Submit(Partition("b"), Offset(1));
        Assert.Equal(2, offsets.InFlight);

        offsets.Acknowledge(second);
        Assert.Equal(1, offsets.InFlight);
        offsets.Acknowledge(second);
        Assert.Equal(1, offsets.InFlight);

        offsets.Acknowledge(first);
        Assert.Equal(0, offsets.InFlight);
    }

    /// <summary>Records spread over a few source partitions and the order the cluster acknowledges them in.</summary>
    public sealed record Scenario(int[] PartitionOf, int[] AckOrder)
    {
        public override string ToString() => $"partitions [{string.Join(",", PartitionOf)}], acks in order [{string.Join(",", AckOrder)}]";
    }

    private static Arbitrary<Scenario> Scenarios =>
        (from count in Gen.Choose(1, 40)
         from partitions in Gen.Choose(0, 2).ArrayOf(count)
         from order in Gen.Shuffle(Enumerable.Range(0, count).ToArray())
         select new Scenario(partitions, order)).ToArbitrary();

    [Property(MaxTest = 300)]
    public Property Whatever_order_acknowledgements_come_in_the_committable_offset_never_passes_an_unacknowledged_record() =>
        Prop.ForAll(Scenarios, s =>
        {
            var offsets = new SubmittedSourceOffsets();
            // The offset of record i is i, so an offset names the record it came from.
            var submitted = s.PartitionOf.Select((p, i) => offsets.Submit(Partition("p" + p), Offset(i))).ToArray();
            var acknowledged = new bool[submitted.Length];
            var committed = new Dictionary<string, long>();
            foreach (var index in s.AckOrder)
            {
                offsets.Acknowledge(submitted[index]);
                acknowledged[index] = true;
                foreach (var (partition, offset) in Committable(offsets)) committed[partition] = offset!.Value;
                foreach (var (partition, offset) in committed)
                {
                    var p = int.Parse(partition[1..]);
                    // Every record of the partition up to the committed one is acknowledged...
                    if (Enumerable.Range(0, (int)offset + 1).Any(i => s.PartitionOf[i] == p && !acknowledged[i])) return false;
                }
                // ...and the committed offset is as far as that allows: the end of the acknowledged prefix.
                for (var p = 0; p <= 2; p++)
                {
                    var ofPartition = Enumerable.Range(0, submitted.Length).Where(i => s.PartitionOf[i] == p).ToList();
                    var prefix = ofPartition.TakeWhile(i => acknowledged[i]).ToList();
                    long? expected = prefix.Count == 0 ? null : prefix[^1];
                    if (committed.TryGetValue("p" + p, out var actual) ? actual != expected : expected != null) return false;
                }
            }
            return offsets.InFlight == 0;
        });
}
