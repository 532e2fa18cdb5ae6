using AkkaBroker.Client.Internal;
using AkkaBroker.Protocol.Records;
using Xunit;
using CompressionType = AkkaBroker.Protocol.Records.CompressionType;

namespace AkkaBroker.Tests.Client;

/// <summary>One partition's open batch: when it fills, when it may leave, and what taking it hands over.</summary>
public class PartitionAccumulatorTests
{
    private const long Linger = 100;

    private static PartitionAccumulator<string> Accumulator(int batchSize = 1_000) => new(CompressionType.None, batchSize, Linger);

    private static readonly byte[] Value = new byte[100];

    private static int Size => RecordBatchBuilder.EstimateRecordSize(null, Value, null);

    [Fact]
    public void Records_join_one_open_batch_created_with_the_first_of_them_and_taking_it_hands_over_the_records_in_order()
    {
        var a = Accumulator();
        Assert.False(a.HasOpen);
        a.Append(nowTicks: 7, timestamp: 1, key: null, Value, headers: null, "r1");
        a.Append(nowTicks: 9, timestamp: 2, key: null, Value, headers: null, "r2");

        var open = a.Take();

        Assert.Equal(7, open.CreatedTicks);
        Assert.Equal(["r1", "r2"], open.Records);
        var batch = RecordBatch.Wrap(open.Builder.Build());
        Assert.Equal(2, batch.RecordCount);
        Assert.Equal([1L, 2L], batch.ReadRecords().Select(r => r.Timestamp));
        Assert.False(a.HasOpen);
        a.Append(nowTicks: 20, timestamp: 3, key: null, Value, headers: null, "r3");
        Assert.Equal(20L, a.OpenCreatedTicks);
        Assert.Equal(["r3"], a.Take().Records);
    }

    [Fact]
    public void A_batch_is_full_at_batch_size_and_a_record_that_would_overflow_it_asks_for_it_to_be_taken_first()
    {
        // A 100-byte value takes about 108 bytes in the batch; Size is the producer's estimate for it, a little more.
        var a = Accumulator(batchSize: RecordBatch.HeaderSize + 250);
        Assert.False(a.WouldOverflow(Size));
        a.Append(0, 0, null, Value, null, "r0");
        Assert.False(a.IsFull);
        Assert.False(a.WouldOverflow(Size));

        a.Append(0, 0, null, Value, null, "r1");
        Assert.False(a.IsFull);
        Assert.True(a.WouldOverflow(Size));

        a.Append(0, 0, null, Value, null, "r2");
        Assert.True(a.IsFull);
    }

    [Fact]
    public void An_open_batch_may_leave_after_linger_ms_or_when_a_flush_asks_for_it()
    {
        var a = Accumulator();
        Assert.False(a.IsReady(1_000));
        a.Append(nowTicks: 50, 0, null, Value, null, "r");

        Assert.False(a.IsReady(50 + Linger - 1));
        Assert.True(a.IsReady(50 + Linger));
        a.FlushRequested = true;
        Assert.True(a.IsReady(50));
        Assert.True(a.OpenedBy(50));
        Assert.False(a.OpenedBy(49));
    }

    [Fact]
    public void Taking_without_an_open_batch_is_a_mistake_of_the_caller()
    {
        Assert.Throws<InvalidOperationException>(() => Accumulator().Take());
    }
}
