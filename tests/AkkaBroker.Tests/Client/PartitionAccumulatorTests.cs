using AkkaBroker.Client.Internal;
using AkkaBroker.Protocol.Records;
using Xunit;
using CompressionType = AkkaBroker.Protocol.Records.CompressionType;

namespace AkkaBroker.Tests.Client;

/// <summary>One partition's open batch: when it fills, when it may leave, and what building and taking it hand over.</summary>
public class PartitionAccumulatorTests
{
    private const long Linger = 100;

    private static PartitionAccumulator<string> Accumulator(int batchSize = 1_000) => new(CompressionType.None, batchSize, Linger);

    private static readonly byte[] Value = new byte[100];

    private static int Size => RecordBatchBuilder.EstimateRecordSize(null, Value, null);

    private static void Add(PartitionAccumulator<string> a, string record, long timestamp = 0, long nowTicks = 0)
    {
        if (!a.HasOpen) a.Start(nowTicks);
        a.Append(timestamp, null, Value, null, record);
    }

    [Fact]
    public void Records_join_one_open_batch_opened_with_the_first_of_them_and_taking_it_hands_over_the_records_in_order()
    {
        var a = Accumulator();
        Assert.False(a.HasOpen);
        Add(a, "r1", timestamp: 1, nowTicks: 7);
        Add(a, "r2", timestamp: 2, nowTicks: 9);
        Assert.Equal(2, a.RecordCount);

        var batch = RecordBatch.Wrap(a.Build(5, 1, 40));
        var open = a.Take();

        Assert.Equal((2, 5L, (short)1, 40), (batch.RecordCount, batch.ProducerId, batch.ProducerEpoch, batch.BaseSequence));
        Assert.Equal([1L, 2L], batch.ReadRecords().Select(r => r.Timestamp));
        Assert.Equal(7, open.CreatedTicks);
        Assert.Equal(["r1", "r2"], open.Records);
        Assert.False(a.HasOpen);
        Assert.Equal(0, a.RecordCount);
        Add(a, "r3", nowTicks: 20);
        Assert.Equal(20L, a.OpenCreatedTicks);
        Assert.Equal(["r3"], a.Take().Records);
    }

    [Fact]
    public void Building_leaves_the_batch_open_so_that_nothing_is_lost_until_it_is_taken()
    {
        var a = Accumulator();
        Add(a, "r1");
        a.Build(RecordBatch.NoProducerId, RecordBatch.NoProducerEpoch, RecordBatch.NoSequence);
        Assert.True(a.HasOpen);
        Assert.Equal(["r1"], a.Take().Records);
    }

    [Fact]
    public void A_batch_is_full_at_batch_size_and_a_record_that_would_overflow_it_asks_for_it_to_be_taken_first()
    {
        // A 100-byte value takes about 108 bytes in the batch; Size is the producer's estimate for it, a little more.
        var a = Accumulator(batchSize: RecordBatch.HeaderSize + 250);
        Assert.False(a.WouldOverflow(Size));
        Add(a, "r0");
        Assert.False(a.IsFull);
        Assert.False(a.WouldOverflow(Size));

        Add(a, "r1");
        Assert.False(a.IsFull);
        Assert.True(a.WouldOverflow(Size));

        Add(a, "r2");
        Assert.True(a.IsFull);
    }

    [Fact]
    public void An_open_batch_waits_linger_ms_from_its_first_record()
    {
        var a = Accumulator();
        Assert.False(a.LingerPassed(1_000));
        Add(a, "r", nowTicks: 50);
        Add(a, "later", nowTicks: 120);

        Assert.False(a.LingerPassed(50 + Linger - 1));
        Assert.True(a.LingerPassed(50 + Linger));
        Assert.True(a.OpenedBy(50));
        Assert.False(a.OpenedBy(49));
    }

    [Fact]
    public void Appending_taking_or_building_without_an_open_batch_and_starting_a_second_are_mistakes_of_the_caller()
    {
        var a = Accumulator();
        Assert.Throws<InvalidOperationException>(() => a.Take());
        Assert.Throws<InvalidOperationException>(() => a.Build(RecordBatch.NoProducerId, RecordBatch.NoProducerEpoch, RecordBatch.NoSequence));
        Assert.Throws<InvalidOperationException>(() => a.Append(0, null, Value, null, "r"));
        a.Start(0);
        Assert.Throws<InvalidOperationException>(() => a.Start(1));
    }
}
