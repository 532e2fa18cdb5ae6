using AkkaBroker.Client;
using AkkaBroker.Client.Internal;
using AkkaBroker.Protocol.Records;
using Xunit;
using ProtocolErrorCode = AkkaBroker.Protocol.ErrorCode;

namespace AkkaBroker.Tests.Client;

/// <summary>
/// One partition's sealed batches between the producer's accumulator and the broker: order, sequence numbers, retries
/// and the order of delivery reports, decided without a broker or a clock.
/// </summary>
public class PartitionSequencerTests
{
    private sealed class Batch : SequencedBatch;

    private const long Backoff = 10;
    private const long DeliveryTimeout = 1_000;

    private readonly List<BatchOutcome<Batch>> _completed = new();

    private static PartitionSequencer<Batch> Sequencer(int retries = 3)
    {
        var s = new PartitionSequencer<Batch>(new SequencerSettings(retries, DeliveryTimeout, Backoff));
        s.UseProducerId(42, 0);
        return s;
    }

    /// <summary>Seals a batch of <paramref name="records"/> real records, numbered as the producer numbers them.</summary>
    private static Batch Seal(PartitionSequencer<Batch> s, int records = 1, long createdTicks = 0, bool idempotent = true)
    {
        var builder = new RecordBatchBuilder(AkkaBroker.Protocol.Records.CompressionType.None);
        for (var i = 0; i < records; i++) builder.Append(createdTicks, null, [(byte)i]);
        var seq = idempotent ? s.TakeSequences(records) : RecordBatch.NoSequence;
        var bytes = idempotent ? builder.Build(s.ProducerId, s.ProducerEpoch, seq) : builder.Build();
        var batch = new Batch { Bytes = bytes, BaseSequence = seq, RecordCount = records, CreatedTicks = createdTicks };
        s.Sealed(batch);
        return batch;
    }

    private static void SendAll(PartitionSequencer<Batch> s)
    {
        while (s.Unsent.Count > 0) s.Sent(s.Unsent[0], awaitsAnswer: true);
    }

    private static Error Failure(ProtocolErrorCode code) => new(code, code.ToString());

    private bool Ok(PartitionSequencer<Batch> s, Batch b, long offset, long now = 0) => s.Answered(b, Error.NoError, offset, -1, now, _completed);

    private bool Fail(PartitionSequencer<Batch> s, Batch b, ProtocolErrorCode code, long now = 0) => s.Answered(b, Failure(code), -1, -1, now, _completed);

    private static int SequenceInBytes(Batch b) => RecordBatch.Wrap(b.Bytes).BaseSequence;

    [Fact]
    public void Batches_are_numbered_one_after_another_by_their_record_counts()
    {
        var s = Sequencer();
        var a = Seal(s, records: 2);
        var b = Seal(s, records: 3);
        var c = Seal(s);
        Assert.Equal([0, 2, 5], new[] { a, b, c }.Select(x => x.BaseSequence));
        Assert.Equal(6, s.NextSequence);
        Assert.Equal(5, SequenceInBytes(c));
        Assert.Equal([a, b, c], s.Unsent);
    }

    [Fact]
    public void Acknowledgements_are_reported_in_the_partitions_order_even_when_answered_out_of_order()
    {
        var s = Sequencer();
        var (a, b, c) = (Seal(s), Seal(s), Seal(s));
        SendAll(s);

        Ok(s, b, 11);
        Assert.Empty(_completed);
        Assert.Equal([a, b, c], s.InFlight);

        Ok(s, a, 10);
        Assert.Equal([(a, 10L), (b, 11L)], _completed.Select(o => (o.Batch, o.BaseOffset)));
        Assert.All(_completed, o => Assert.Equal(PersistenceStatus.Persisted, o.Status));
        Assert.Equal([c], s.InFlight);

        Ok(s, c, 12);
        Assert.Equal(c, _completed[^1].Batch);
        Assert.Empty(s.InFlight);
        Assert.Equal(SendGate.Open, s.Resume(0));
    }

    [Fact]
    public void A_retriable_failure_resends_from_the_failed_batch_after_everything_in_flight_came_back_and_the_backoff()
    {
        var s = Sequencer();
        var (a, b, c) = (Seal(s), Seal(s), Seal(s));
        SendAll(s);

        // The leader moved: the batch may be in the log (a leader answers this also after appending) and the leader
        // must be looked up again.
        Assert.True(Fail(s, a, ProtocolErrorCode.NotLeaderOrFollower, now: 100));
        Assert.True(a.MaybeAppended);
        Assert.True(s.Recovering);
        Assert.Equal(SendGate.WaitForInFlight, s.Resume(1_000));

        // The later ones are refused as out of order (the broker expected a's sequence): expected, and no reason for
        // a new producer id while an earlier batch is being retried.
        Assert.False(Fail(s, c, ProtocolErrorCode.OutOfOrderSequenceNumber, now: 101));
        Assert.False(Fail(s, b, ProtocolErrorCode.OutOfOrderSequenceNumber, now: 102));
        Assert.Equal([a, b, c], s.Unsent);
        Assert.False(s.NeedsNewProducerId);
        Assert.Empty(_completed);

        Assert.Equal(SendGate.WaitForBackoff, s.Resume(100 + Backoff - 1));
        Assert.Equal(SendGate.Open, s.Resume(100 + Backoff));
        Assert.False(s.Recovering);
        // Resent with the numbers they had: the broker answers a batch it already has with its first offset.
        Assert.Equal([0, 1, 2], s.Unsent.Select(x => x.BaseSequence));
        s.Sent(a, awaitsAnswer: true);
        Assert.Equal(2, a.Attempts);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Retries_of_batches_without_sequence_numbers_keep_the_order_they_were_created_in(bool laterAnsweredFirst)
    {
        var s = Sequencer();
        var a = Seal(s, createdTicks: 1, idempotent: false);
        var b = Seal(s, createdTicks: 2, idempotent: false);
        var c = Seal(s, createdTicks: 3, idempotent: false);
        SendAll(s);

        foreach (var x in laterAnsweredFirst ? new[] { b, a } : [a, b]) Fail(s, x, ProtocolErrorCode.NotEnoughReplicas);

        Assert.Equal([a, b], s.Unsent);
        Assert.Equal([c], s.InFlight);
        Assert.False(a.MaybeAppended);
    }

    [Fact]
    public void A_batch_refused_for_good_gives_its_sequence_numbers_to_the_batches_after_it()
    {
        var s = Sequencer();
        var a = Seal(s, records: 2);
        var b = Seal(s, records: 3);
        var c = Seal(s);
        s.Sent(a, awaitsAnswer: true);

        Assert.False(Fail(s, a, ProtocolErrorCode.MessageTooLarge));

        var outcome = Assert.Single(_completed);
        Assert.Equal((a, PersistenceStatus.NotPersisted, ProtocolErrorCode.MessageTooLarge), (outcome.Batch, outcome.Status, outcome.Error.ProtocolCode));
        Assert.Equal([0, 3], new[] { b, c }.Select(x => x.BaseSequence));
        Assert.Equal([0, 3], new[] { b, c }.Select(SequenceInBytes));
        Assert.Equal(4, s.NextSequence);
        // Nothing in flight was renumbered, so nothing waits.
        Assert.Equal(SendGate.Open, s.Resume(0));
    }

    [Fact]
    public void A_batch_in_flight_that_is_renumbered_gets_new_bytes_and_the_partition_waits_for_it()
    {
        var s = Sequencer();
        var (a, b) = (Seal(s), Seal(s));
        SendAll(s);
        var sentBytes = b.Bytes;

        Fail(s, a, ProtocolErrorCode.MessageTooLarge);

        // The bytes handed to remoting may still be being written: they stay as sent, and b will be refused as out of
        // order and resent with its new number.
        Assert.NotSame(sentBytes, b.Bytes);
        Assert.Equal(1, RecordBatch.Wrap(sentBytes).BaseSequence);
        Assert.Equal(0, SequenceInBytes(b));
        Assert.True(s.Recovering);
        Assert.Equal(SendGate.WaitForInFlight, s.Resume(0));
    }

    [Fact]
    public void Sequence_numbers_wrap_to_0_after_int_max_value_and_retries_and_renumbering_keep_their_order_across_the_wrap()
    {
        var s = Sequencer();
        // As if 2^31 - 3 records had been sent under this producer id before.
        s.TakeSequences(int.MaxValue - 2);
        var a = Seal(s, records: 2);
        var b = Seal(s);
        var c = Seal(s);
        Assert.Equal([int.MaxValue - 2, 0, 1], new[] { a, b, c }.Select(x => x.BaseSequence));
        SendAll(s);

        // Refused before it was appended: a's numbers are free again if it fails for good.
        Fail(s, a, ProtocolErrorCode.NotEnoughReplicas);
        Fail(s, b, ProtocolErrorCode.OutOfOrderSequenceNumber);
        Fail(s, c, ProtocolErrorCode.OutOfOrderSequenceNumber);
        Assert.Equal([a, b, c], s.Unsent);
        // c's earlier batches were already back: still no new producer id while a's retry is pending.
        Assert.False(s.NeedsNewProducerId);

        // a is refused for good when resent: b and c take its numbers, back across the wrap.
        Assert.Equal(SendGate.Open, s.Resume(Backoff));
        s.Sent(a, awaitsAnswer: true);
        Fail(s, a, ProtocolErrorCode.MessageTooLarge);
        Assert.Equal([int.MaxValue - 2, int.MaxValue - 1], new[] { b, c }.Select(x => x.BaseSequence));
        Assert.Equal([int.MaxValue - 2, int.MaxValue - 1], new[] { b, c }.Select(SequenceInBytes));
        Assert.Equal(0, s.NextSequence);
    }

    [Fact]
    public void A_failed_batch_that_may_be_in_the_log_is_possibly_persisted_and_the_rest_continue_under_a_new_producer_id()
    {
        var s = Sequencer(retries: 0);
        var (a, b, c) = (Seal(s), Seal(s, records: 2), Seal(s));
        s.Sent(a, awaitsAnswer: true);

        // Final, so no lookup of the leader is asked for: nothing will be sent to it for this batch again.
        Assert.False(Fail(s, a, ProtocolErrorCode.RequestTimedOut));

        var outcome = Assert.Single(_completed);
        Assert.Equal((a, PersistenceStatus.PossiblyPersisted), (outcome.Batch, outcome.Status));
        // Its numbers may be taken in the broker: they can never be given to other batches.
        Assert.Equal([1, 3], new[] { b, c }.Select(x => x.BaseSequence));
        Assert.True(s.NeedsNewProducerId);
        Assert.Equal(SendGate.NeedsProducerId, s.Resume(Backoff));

        Assert.Empty(s.Renumber(43, 1));

        Assert.Equal([0, 2], new[] { b, c }.Select(x => x.BaseSequence));
        Assert.All(new[] { b, c }, x => Assert.Equal((43L, (short)1), (RecordBatch.Wrap(x.Bytes).ProducerId, RecordBatch.Wrap(x.Bytes).ProducerEpoch)));
        Assert.Equal([0, 2], new[] { b, c }.Select(SequenceInBytes));
        Assert.Equal((43L, (short)1, 3), (s.ProducerId, s.ProducerEpoch, s.NextSequence));
        Assert.False(s.NeedsNewProducerId);
        Assert.Equal(SendGate.Open, s.Resume(Backoff));
    }

    [Fact]
    public void Renumbering_leaves_out_the_batches_that_may_already_be_in_the_log_under_the_old_id()
    {
        var s = Sequencer();
        var (a, b) = (Seal(s), Seal(s));
        SendAll(s);

        Fail(s, a, ProtocolErrorCode.RequestTimedOut, now: 0);
        // The broker forgot this producer (it was idle past its expiry): b was not appended.
        Fail(s, b, ProtocolErrorCode.UnknownProducerId, now: 1);
        Assert.Equal([a, b], s.Unsent);
        Assert.Equal(SendGate.NeedsProducerId, s.Resume(Backoff));

        var ambiguous = s.Renumber(50, 0);

        // Sent again under the new id, a would be appended twice if its first attempt made it.
        Assert.Equal([a], ambiguous);
        Assert.Equal([b], s.Unsent);
        Assert.Equal((0, 50L), (b.BaseSequence, RecordBatch.Wrap(b.Bytes).ProducerId));
    }

    [Fact]
    public void A_retriable_failure_after_the_delivery_timeout_or_the_last_retry_is_final()
    {
        var late = Sequencer();
        var a = Seal(late, createdTicks: 0);
        late.Sent(a, awaitsAnswer: true);
        Fail(late, a, ProtocolErrorCode.NotEnoughReplicas, now: DeliveryTimeout);
        Assert.Equal((a, PersistenceStatus.NotPersisted), (_completed[^1].Batch, _completed[^1].Status));

        var tried = Sequencer(retries: 1);
        var b = Seal(tried);
        tried.Sent(b, awaitsAnswer: true);
        Fail(tried, b, ProtocolErrorCode.NotEnoughReplicas);
        Assert.Equal([b], tried.Unsent);
        Assert.Equal(SendGate.Open, tried.Resume(Backoff));
        tried.Sent(b, awaitsAnswer: true);
        Fail(tried, b, ProtocolErrorCode.NotEnoughReplicas);
        Assert.Equal((b, PersistenceStatus.NotPersisted), (_completed[^1].Batch, _completed[^1].Status));
        Assert.Empty(tried.Unsent);
    }

    [Fact]
    public void Expiry_takes_the_batches_created_by_the_deadline_and_the_younger_ones_take_over_their_numbers()
    {
        var s = Sequencer();
        var a = Seal(s, records: 2, createdTicks: 0);
        var b = Seal(s, createdTicks: 50);
        var c = Seal(s, records: 3, createdTicks: 100);
        var expired = new List<Batch>();

        s.ExpireUnsent(50, expired);

        Assert.Equal([a, b], expired);
        Assert.Equal([c], s.Unsent);
        Assert.Equal((0, 0), (c.BaseSequence, SequenceInBytes(c)));
        Assert.Equal(3, s.NextSequence);
        Assert.False(s.NeedsNewProducerId);
    }

    [Fact]
    public void Expiry_of_a_batch_that_may_be_in_the_log_makes_the_partition_take_a_new_producer_id()
    {
        var s = Sequencer();
        var (a, b) = (Seal(s, createdTicks: 0), Seal(s, createdTicks: 500));
        s.Sent(a, awaitsAnswer: true);
        Fail(s, a, ProtocolErrorCode.RequestTimedOut, now: 1);
        var expired = new List<Batch>();

        s.ExpireUnsent(0, expired);

        Assert.Equal([a], expired);
        Assert.Equal(1, b.BaseSequence);
        Assert.True(s.NeedsNewProducerId);
    }

    [Fact]
    public void Only_the_first_unsent_batch_may_be_sent_and_the_first_producer_id_is_taken_once()
    {
        var s = Sequencer();
        var (a, b) = (Seal(s), Seal(s));
        Assert.Throws<InvalidOperationException>(() => s.Sent(b, awaitsAnswer: true));
        s.Sent(a, awaitsAnswer: true);
        Assert.Equal([b], s.Unsent);
        // A later id comes only through renumbering, which renumbers every batch waiting.
        Assert.Throws<InvalidOperationException>(() => s.UseProducerId(1, 0));
    }

    [Fact]
    public void Batches_sent_without_waiting_for_an_answer_are_never_in_flight()
    {
        var s = Sequencer();
        var a = Seal(s, idempotent: false);
        s.Sent(a, awaitsAnswer: false);
        Assert.Empty(s.InFlight);
        Assert.Empty(s.Unsent);
        Assert.Equal(1, a.Attempts);
        Assert.Empty(s.TakeAll());
    }
}
