using System.Text;
using AkkaBroker.Actors.Partitions;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;
using Xunit;

namespace AkkaBroker.Tests.Partitions;

public class PartitionLogTests
{
    private static readonly TopicPartition Tp = new("orders", 0);

    private static PartitionLog NewLog(string overrides = "", IReadOnlyDictionary<string, string>? topicOverrides = null)
    {
        var settings = TestConfigs.Settings(overrides);
        var log = new PartitionLog(Tp, settings);
        log.ApplyConfig(settings.EffectiveTopicConfig(topicOverrides ?? new Dictionary<string, string>()), 1);
        return log;
    }

    private static byte[] Batch(int records, long timestamp = 1000, long pid = -1, short epoch = -1, int seq = -1, int valueSize = 10)
    {
        var b = new RecordBatchBuilder(CompressionType.None);
        for (var i = 0; i < records; i++) b.Append(timestamp + i, Encoding.UTF8.GetBytes($"k{i}"), new byte[valueSize]);
        return b.Build(pid, epoch, seq);
    }

    private static long seqNr = 10;

    /// <summary>Appends as the actor does: prepare, then confirm as if the journal wrote it.</summary>
    private static PartitionLog.AppendDecision Append(PartitionLog log, byte[] batch, long now = 5000)
    {
        var decision = log.PrepareAppend(batch, 1, now);
        if (decision is PartitionLog.AppendDecision.Accepted a)
        {
            log.OnPersisted(a.Batch, Interlocked.Increment(ref seqNr));
            log.AdvanceHighWatermark(log.DurableEnd); // a leader alone in its ISR
        }
        return decision;
    }

    [Fact]
    public void A_batch_whose_records_are_not_numbered_in_order_is_refused_as_corrupt()
    {
        var log = NewLog();
        // Two records with the same timestamp: each is [length][attributes][timestamp delta][offset delta]..., single bytes here.
        var b = new RecordBatchBuilder(CompressionType.None);
        b.Append(1000, "k0"u8.ToArray(), "v"u8.ToArray());
        b.Append(1000, "k1"u8.ToArray(), "v"u8.ToArray());
        var batch = b.Build();
        var firstLength = batch[RecordBatch.HeaderSize] / 2; // zigzag varint
        var secondOffsetDelta = RecordBatch.HeaderSize + 1 + firstLength + 3;
        Assert.Equal(2, batch[secondOffsetDelta]); // zigzag of 1
        batch[secondOffsetDelta] = 10; // offset delta 5: the record would read as offset 5 of a two-record batch
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(RecordBatch.CrcPos), Crc32C.Compute(batch.AsSpan(RecordBatch.AttributesPos)));
        Assert.Null(RecordBatch.Validate(batch)); // a well-formed batch, as far as its header and lengths go

        var refused = Assert.IsType<PartitionLog.AppendDecision.Rejected>(Append(log, batch));
        Assert.Equal(ErrorCode.CorruptMessage, refused.Error);
        Assert.Contains("record 1 of the batch has offset delta 5", refused.Message);
        Assert.Equal(0, log.LogEndOffset);
    }

    [Fact]
    public void Appends_get_contiguous_offsets_and_move_the_high_watermark()
    {
        var log = NewLog();
        var first = Assert.IsType<PartitionLog.AppendDecision.Accepted>(Append(log, Batch(3)));
        var second = Assert.IsType<PartitionLog.AppendDecision.Accepted>(Append(log, Batch(2)));
        Assert.Equal(0, first.BaseOffset);
        Assert.Equal(3, second.BaseOffset);
        Assert.Equal(5, log.DurableEnd);
        Assert.Equal(5, log.HighWatermark);
        Assert.Equal(5, log.LogEndOffset);
    }

    [Fact]
    public void A_batch_not_yet_journaled_is_invisible_to_fetches()
    {
        var log = NewLog();
        Assert.IsType<PartitionLog.AppendDecision.Accepted>(log.PrepareAppend(Batch(2), 1, 1));
        Assert.Equal(2, log.LogEndOffset);
        Assert.Equal(0, log.DurableEnd);
        var plan = Assert.IsType<PartitionLog.FetchPlan.FromCache>(log.PlanFetch(0, 1 << 20));
        Assert.Empty(plan.Records);
    }

    [Fact]
    public void Fetch_from_the_middle_of_a_batch_returns_the_whole_batch_and_later_ones_within_the_byte_limit()
    {
        var log = NewLog();
        Append(log, Batch(3));
        Append(log, Batch(3));
        Append(log, Batch(3));
        var all = Assert.IsType<PartitionLog.FetchPlan.FromCache>(log.PlanFetch(4, 1 << 20));
        Assert.Equal([3L, 6L], RecordBatch.ReadAll(all.Records).Select(b => b.BaseOffset));
        var one = Assert.IsType<PartitionLog.FetchPlan.FromCache>(log.PlanFetch(0, 1));
        Assert.Single(RecordBatch.ReadAll(one.Records));
    }

    [Fact]
    public void Fetch_outside_the_log_is_offset_out_of_range_with_the_valid_range_in_the_message()
    {
        var log = NewLog();
        Append(log, Batch(3));
        var error = Assert.IsType<PartitionLog.FetchPlan.Error>(log.PlanFetch(4, 100));
        Assert.Equal(ErrorCode.OffsetOutOfRange, error.Code);
        Assert.Contains("0 to 2", error.Message);
        Assert.Equal(ErrorCode.OffsetOutOfRange, Assert.IsType<PartitionLog.FetchPlan.Error>(log.PlanFetch(-1, 100)).Code);
    }

    [Fact]
    public void Batches_larger_than_max_message_bytes_are_refused_with_message_too_large()
    {
        var log = NewLog(topicOverrides: new Dictionary<string, string> { ["max.message.bytes"] = "200" });
        var rejected = Assert.IsType<PartitionLog.AppendDecision.Rejected>(log.PrepareAppend(Batch(1, valueSize: 500), 1, 1));
        Assert.Equal(ErrorCode.MessageTooLarge, rejected.Error);
        Assert.Contains("max.message.bytes 200", rejected.Message);
        Assert.Equal(0, log.LogEndOffset);
    }

    [Fact]
    public void A_corrupt_batch_is_refused_and_nothing_is_appended()
    {
        var log = NewLog();
        var batch = Batch(2);
        batch[^1] ^= 0xFF;
        var rejected = Assert.IsType<PartitionLog.AppendDecision.Rejected>(log.PrepareAppend(batch, 1, 1));
        Assert.Equal(ErrorCode.CorruptMessage, rejected.Error);
        Assert.Equal(0, log.LogEndOffset);
    }

    [Fact]
    public void Appends_to_a_partition_without_config_are_unknown_topic_or_partition()
    {
        var log = new PartitionLog(Tp, TestConfigs.Settings());
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, Assert.IsType<PartitionLog.AppendDecision.Rejected>(log.PrepareAppend(Batch(1), 1, 1)).Error);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, Assert.IsType<PartitionLog.FetchPlan.Error>(log.PlanFetch(0, 10)).Code);
    }

    [Fact]
    public void A_retried_idempotent_batch_is_acknowledged_with_its_original_offset_and_not_appended_again()
    {
        var log = NewLog();
        Append(log, Batch(2, pid: 7, epoch: 0, seq: 0));
        var second = Batch(3, pid: 7, epoch: 0, seq: 2);
        var accepted = Assert.IsType<PartitionLog.AppendDecision.Accepted>(Append(log, (byte[])second.Clone()));
        var retry = Assert.IsType<PartitionLog.AppendDecision.Duplicate>(log.PrepareAppend((byte[])second.Clone(), 1, 1));
        Assert.Equal(accepted.BaseOffset, retry.BaseOffset);
        Assert.Equal(5, log.LogEndOffset);
    }

    [Fact]
    public void An_out_of_order_sequence_is_refused()
    {
        var log = NewLog();
        Append(log, Batch(2, pid: 7, epoch: 0, seq: 0));
        var gap = Assert.IsType<PartitionLog.AppendDecision.Rejected>(log.PrepareAppend(Batch(1, pid: 7, epoch: 0, seq: 5), 1, 1));
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, gap.Error);
        Assert.Contains("expected 2", gap.Message);
        var unknownStart = Assert.IsType<PartitionLog.AppendDecision.Rejected>(log.PrepareAppend(Batch(1, pid: 8, epoch: 0, seq: 3), 1, 1));
        Assert.Equal(ErrorCode.UnknownProducerId, unknownStart.Error);
    }

    [Fact]
    public void An_older_producer_epoch_is_fenced_and_a_newer_one_restarts_at_sequence_zero()
    {
        var log = NewLog();
        Append(log, Batch(1, pid: 7, epoch: 2, seq: 0));
        Assert.Equal(ErrorCode.InvalidProducerEpoch,
            Assert.IsType<PartitionLog.AppendDecision.Rejected>(log.PrepareAppend(Batch(1, pid: 7, epoch: 1, seq: 1), 1, 1)).Error);
        Assert.IsType<PartitionLog.AppendDecision.Accepted>(Append(log, Batch(1, pid: 7, epoch: 3, seq: 0)));
    }

    [Fact]
    public void Log_append_time_topics_stamp_the_broker_time()
    {
        var log = NewLog(topicOverrides: new Dictionary<string, string> { ["message.timestamp.type"] = "LogAppendTime" });
        var accepted = Assert.IsType<PartitionLog.AppendDecision.Accepted>(Append(log, Batch(2, timestamp: 1), now: 777));
        Assert.Equal(777, accepted.LogAppendTime);
        Assert.All(RecordBatch.Wrap(accepted.Batch).ReadRecords(), r => Assert.Equal(777, r.Timestamp));
    }

    [Fact]
    public void Old_offsets_beyond_the_tail_cache_are_planned_as_a_journal_read_starting_at_the_covering_index_entry()
    {
        // A tiny cache and index interval: only the newest batch stays in memory.
        var log = NewLog("akkabroker.partition.tail-cache-bytes = 1, akkabroker.broker.log.index.interval.bytes = 1");
        var seqs = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            Append(log, Batch(2));
            seqs.Add(log.LastSequenceNr);
        }
        var plan = Assert.IsType<PartitionLog.FetchPlan.FromJournal>(log.PlanFetch(3, 100));
        Assert.Equal(seqs[1], plan.FromSequenceNr);
        Assert.True(plan.ToSequenceNr >= plan.FromSequenceNr);
    }

    [Fact]
    public void AssembleFetch_refuses_to_serve_a_corrupt_journaled_batch()
    {
        var log = NewLog();
        Append(log, Batch(2));
        var stored = RecordBatch.ReadAll(Assert.IsType<PartitionLog.FetchPlan.FromCache>(log.PlanFetch(0, 1 << 20)).Records).Single().Bytes.ToArray();
        stored[^1] ^= 0x10;
        var (records, corruption, corruptOffset) = log.AssembleFetch([stored], 0, 1 << 20, log.DurableEnd);
        Assert.Empty(records);
        Assert.Contains("corrupt", corruption);
        Assert.Equal(0, corruptOffset);
    }

    [Fact]
    public void Offset_for_timestamp_finds_the_first_record_at_or_after_it()
    {
        var log = NewLog();
        Append(log, Batch(3, timestamp: 100));  // offsets 0-2, ts 100-102
        Append(log, Batch(3, timestamp: 200));  // offsets 3-5, ts 200-202
        var found = Assert.IsType<PartitionLog.TimestampPlan.Found>(log.PlanOffsetForTimestamp(150));
        Assert.Equal(3, found.Offset);
        Assert.Equal(200, found.Timestamp);
        Assert.Equal(1, Assert.IsType<PartitionLog.TimestampPlan.Found>(log.PlanOffsetForTimestamp(101)).Offset);
        Assert.IsType<PartitionLog.TimestampPlan.NotFound>(log.PlanOffsetForTimestamp(1000));
    }

    [Fact]
    public void A_snapshot_restores_offsets_index_and_producer_state()
    {
        var log = NewLog();
        Append(log, Batch(2, pid: 9, epoch: 0, seq: 0));
        var retried = Batch(2, pid: 9, epoch: 0, seq: 2);
        Append(log, (byte[])retried.Clone());
        var snapshot = log.ToSnapshot(6000, 86_400_000);

        var restored = new PartitionLog(Tp, TestConfigs.Settings());
        restored.Restore(snapshot, log.LastSequenceNr);
        Assert.Equal(4, restored.DurableEnd);
        Assert.Equal(4, restored.HighWatermark); // kept: "latest" never goes back after a restart
        Assert.Equal(log.Index, restored.Index);
        Assert.Equal(2, Assert.IsType<PartitionLog.AppendDecision.Duplicate>(restored.PrepareAppend((byte[])retried.Clone(), 1, 1)).BaseOffset);
        // The cache is empty after a restore: old offsets come from the journal.
        Assert.IsType<PartitionLog.FetchPlan.FromJournal>(restored.PlanFetch(0, 100));
    }

    [Fact]
    public void Memory_per_partition_is_bounded_by_configuration_not_by_log_size()
    {
        var log = NewLog("akkabroker.partition.tail-cache-bytes = 10000, akkabroker.broker.log.index.interval.bytes = 50000");
        for (var i = 0; i < 2000; i++) Append(log, Batch(10, valueSize: 100));
        Assert.True(log.LogBytes > 2_000_000);
        Assert.InRange(log.Cache.Bytes, 1, 10000 + 2000);
        Assert.InRange(log.Index.Count, 1, log.LogBytes / 50000 + 1);
    }
}
