using System.Text;
using Akka.Actor;
using AkkaBroker.Actors.Partitions;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;
using Xunit;

namespace AkkaBroker.Tests.Partitions;

/// <summary>A leader taking producers' batches (leader 1, followers 2 and 3, min.insync.replicas 2), with a fake clock.</summary>
public class LeaderWritesTests
{
    private const long Now = 10_000_000;

    private readonly TestLog _t = new("akkabroker.broker.broker.id = 1\nakkabroker.broker.min.insync.replicas = 2");
    private readonly LeaderWrites _writes;
    private LeaderRole? _leader;
    private long _sequenceNr = 100;

    public LeaderWritesTests()
    {
        var maintenance = new LogMaintenance(_t.Log, _t.Broker.LogCleaner, _t.Broker.Partition.SnapshotIntervalEvents);
        var journal = new ReplicaJournal(_t.Log, maintenance, 1);
        _writes = new LeaderWrites(_t.Log, journal, maintenance, 1,
            () => _leader == null ? (ErrorCode.NotLeaderOrFollower, "broker 1 does not lead orders-0") : null, () => _leader);
    }

    private void Lead(int[] isr)
    {
        _leader = new LeaderRole(1, new PartitionAssignment(0, [1, 2, 3], 1, 0, isr, 0), _t.Log, 10_000, TimeSpan.FromSeconds(7), Now);
        _t.Log.AssignEpoch(0, _t.Log.LogEndOffset);
    }

    private static ReplicaEffects Fx() => new();

    private static byte[] Batch(int records, long producerId = RecordBatch.NoProducerId, int baseSequence = RecordBatch.NoSequence)
    {
        var b = new RecordBatchBuilder(CompressionType.None);
        for (var i = 0; i < records; i++) b.Append(1000 + i, Encoding.UTF8.GetBytes($"k{i}"), new byte[10]);
        return b.Build(producerId, 0, baseSequence);
    }

    private static ProduceRequest Produce(byte[] batch, short acks = 1) => new(TestLog.Tp, acks, 30_000, batch);

    private static ProduceResponse Answer(ReplicaEffects fx) => (ProduceResponse)Assert.Single(fx.Of<ReplicaEffect.Reply>()).Message;

    /// <summary>Produces and returns the batch the writes asked to journal.</summary>
    private ReplicaEffect.PersistBatch Accept(ProduceRequest request)
    {
        var fx = Fx();
        _writes.Produce(request, ActorRefs.Nobody, 0, Now, fx);
        Assert.Empty(fx.Of<ReplicaEffect.Reply>());
        return Assert.Single(fx.Of<ReplicaEffect.PersistBatch>());
    }

    private ReplicaEffects Written(ReplicaEffect.PersistBatch b)
    {
        var fx = Fx();
        _writes.Written(b.Pending, b.Event, ++_sequenceNr, Now, fx);
        return fx;
    }

    [Fact]
    public void A_replica_that_does_not_lead_refuses_with_why_and_an_acks_0_producer_hears_nothing()
    {
        var fx = Fx();
        _writes.Produce(Produce(Batch(3)), ActorRefs.Nobody, 0, Now, fx);
        Assert.Equal(ErrorCode.NotLeaderOrFollower, Answer(fx).Error);
        Assert.Contains("does not lead", Answer(fx).ErrorMessage);
        fx = Fx();
        _writes.Produce(Produce(Batch(3), acks: 0), ActorRefs.Nobody, 0, Now, fx);
        Assert.Empty(fx.All);
    }

    [Fact]
    public void An_acks_all_batch_is_refused_while_the_isr_is_below_min_insync_replicas_and_an_acks_1_batch_is_not()
    {
        Lead([1]);
        var fx = Fx();
        _writes.Produce(Produce(Batch(3), acks: -1), ActorRefs.Nobody, 0, Now, fx);
        Assert.Equal(ErrorCode.NotEnoughReplicas, Answer(fx).Error);
        Assert.Contains("min.insync.replicas 2", Answer(fx).ErrorMessage);
        Assert.Empty(fx.Of<ReplicaEffect.PersistBatch>());
        Accept(Produce(Batch(3), acks: 1));
    }

    [Fact]
    public void An_acks_1_batch_is_answered_with_its_offset_once_written_and_parked_fetches_are_woken()
    {
        Lead([1, 2, 3]);
        var first = Accept(Produce(Batch(3)));
        var second = Accept(Produce(Batch(2)));
        Assert.Equal(2, _writes.WritesInFlight);
        var fx = Written(first);
        Assert.Equal((ErrorCode.None, 0L), (Answer(fx).Error, Answer(fx).BaseOffset));
        Assert.Single(fx.Of<ReplicaEffect.WakeParkedFetches>());
        Assert.Equal(3, Answer(Written(second)).BaseOffset);
        Assert.Equal(0, _writes.WritesInFlight);
        Assert.Equal(5, _t.Log.DurableEnd);
    }

    [Fact]
    public void An_acks_all_batch_is_answered_only_when_the_in_sync_followers_have_it()
    {
        Lead([1, 2, 3]);
        var fx = Written(Accept(Produce(Batch(4), acks: -1)));
        Assert.Empty(fx.Of<ReplicaEffect.Reply>());
        _leader!.FollowerFetched(2, 4, Now, Fx());
        fx = Fx();
        _leader.FollowerFetched(3, 4, Now, fx);
        Assert.Equal((ErrorCode.None, 0L), (Answer(fx).Error, Answer(fx).BaseOffset));
    }

    [Fact]
    public void An_acks_all_batch_whose_leadership_ended_during_the_write_is_not_acknowledged()
    {
        Lead([1, 2, 3]);
        var pending = Accept(Produce(Batch(4), acks: -1));
        _leader = null;
        var fx = Written(pending);
        Assert.Equal((ErrorCode.NotLeaderOrFollower, -1L), (Answer(fx).Error, Answer(fx).BaseOffset));
    }

    [Fact]
    public void A_retried_batch_still_being_written_is_answered_after_the_write_and_once_written_at_once_with_the_original_offset()
    {
        Lead([1, 2, 3]);
        var batch = Batch(3, producerId: 7, baseSequence: 0);
        var original = Accept(Produce(batch));
        var fx = Fx();
        _writes.Produce(Produce(batch), ActorRefs.Nobody, 0, Now, fx);
        Assert.Empty(fx.Of<ReplicaEffect.PersistBatch>());
        Assert.Equal(0, ((ProduceResponse)Assert.Single(fx.Of<ReplicaEffect.ReplyAfterWrites>()).Message).BaseOffset);
        Written(original);
        fx = Fx();
        _writes.Produce(Produce(batch), ActorRefs.Nobody, 0, Now, fx);
        Assert.Equal((ErrorCode.None, 0L), (Answer(fx).Error, Answer(fx).BaseOffset));
        Assert.Equal(3, _t.Log.DurableEnd);
    }

    [Fact]
    public void A_failed_journal_answers_every_waiting_producer_with_a_retriable_storage_error_and_the_leader_resigns()
    {
        Lead([1, 2, 3]);
        var replicated = Accept(Produce(Batch(2), acks: -1));
        Written(replicated);
        Accept(Produce(Batch(2)));
        Accept(Produce(Batch(2), acks: 0));
        Accept(Produce(Batch(2), acks: -1));
        var fx = Fx();
        _writes.JournalFailed("disk I/O error", fx);
        var answers = fx.Of<ReplicaEffect.Reply>().Select(r => (ProduceResponse)r.Message).ToList();
        // The two in-flight writes with acks 1 and all, then the acks=all write waiting for followers (the resigning leader's).
        Assert.Equal(3, answers.Count);
        Assert.All(answers, a => Assert.Equal(ErrorCode.KafkaStorageError, a.Error));
        Assert.True(ErrorCode.KafkaStorageError.IsRetriable());
        Assert.Equal(0, _writes.WritesInFlight);
    }

    [Fact]
    public void A_rejected_batch_answers_only_its_own_producer()
    {
        Lead([1, 2, 3]);
        Accept(Produce(Batch(2)));
        Accept(Produce(Batch(2)));
        var fx = Fx();
        _writes.JournalRejected("too large", fx);
        Assert.Equal(ErrorCode.KafkaStorageError, Answer(fx).Error);
        Assert.Equal(1, _writes.WritesInFlight);
    }
}
