using System.Text;
using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Akka.TestKit.Xunit2;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Actors.Partitions;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;
using Xunit;

namespace AkkaBroker.Tests.Partitions;

/// <summary>What a replica keeps across a restart of its actor: what fences it, and its high watermark.</summary>
public class PartitionReplicaRestartSpec() : TestKit(TestConfigs.PersistenceTestKit)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static int _topicCounter;
    private readonly TopicPartition _tp = new($"restart{Interlocked.Increment(ref _topicCounter)}", 0);
    private readonly BrokerSettings _settings = TestConfigs.Settings("akkabroker.broker.replica.high.watermark.checkpoint.interval.ms = 20");

    private ITestJournal Journal => TestJournal.FromRef(Persistence.Instance.Apply(Sys).JournalFor(null));

    private EnsurePartition Ensure(int controllerEpoch, int leaderEpoch, int[]? replicas = null) =>
        new(_tp, _settings.EffectiveTopicConfig(new Dictionary<string, string>()),
            new PartitionAssignment(_tp.Partition, replicas ?? [0], 0, leaderEpoch, replicas ?? [0], leaderEpoch),
            new BrokerInfo(0, "127.0.0.1", 1), controllerEpoch);

    private IActorRef Start(EnsurePartition? ensure)
    {
        var replica = Sys.ActorOf(PartitionReplica.Props(_tp, _settings));
        if (ensure != null)
        {
            replica.Tell(ensure, TestActor);
            ExpectMsg<PartitionStateAck>(Wait);
        }
        return replica;
    }

    private void Stop(IActorRef replica)
    {
        Watch(replica);
        replica.Tell(PoisonPill.Instance);
        ExpectTerminated(replica, Wait);
    }

    private ProduceResponse Produce(IActorRef replica, string value)
    {
        var b = new RecordBatchBuilder(CompressionType.None);
        b.Append(1000, null, Encoding.UTF8.GetBytes(value));
        replica.Tell(new ProduceRequest(_tp, 1, 5000, b.Build()), TestActor);
        return ExpectMsg<ProduceResponse>(Wait);
    }

    private ListOffsetsResponse Latest(IActorRef replica)
    {
        replica.Tell(new ListOffsetsRequest(_tp, ListOffsetsRequest.Latest), TestActor);
        return ExpectMsg<ListOffsetsResponse>(Wait);
    }

    [Fact]
    public void A_restarted_replica_still_refuses_leadership_older_than_what_it_accepted()
    {
        var replica = Start(Ensure(controllerEpoch: 2, leaderEpoch: 3));
        Assert.Equal(ErrorCode.None, Produce(replica, "a").Error);
        Stop(replica);

        // A replaced controller's late command, and an older leadership from the current one: neither is taken up.
        var again = Start(Ensure(controllerEpoch: 1, leaderEpoch: 4));
        Assert.Equal(ErrorCode.NotLeaderOrFollower, Produce(again, "b").Error);
        again.Tell(Ensure(controllerEpoch: 2, leaderEpoch: 2), TestActor);
        ExpectMsg<PartitionStateAck>(Wait);
        Assert.Equal(ErrorCode.NotLeaderOrFollower, Produce(again, "b").Error);
        again.Tell(Ensure(controllerEpoch: 2, leaderEpoch: 3), TestActor);
        ExpectMsg<PartitionStateAck>(Wait);
        Assert.Equal(1, Produce(again, "b").BaseOffset);
    }

    [Fact]
    public async Task A_restarted_leader_serves_latest_from_its_checkpointed_high_watermark_at_once()
    {
        var checkpointed = new TaskCompletionSource();
        await Journal.OnWrite.SetInterceptorAsync(new SignalOn(p => p.Payload is HighWatermarkCheckpointed { Offset: 3 }, checkpointed));
        var replica = Start(Ensure(controllerEpoch: 1, leaderEpoch: 0));
        for (var i = 0; i < 3; i++) Produce(replica, $"v{i}");
        await checkpointed.Task.WaitAsync(Wait);
        await Journal.OnWrite.Pass();
        Stop(replica);

        // Now with a follower that has not fetched yet: without the checkpoint the high watermark would restart at 0,
        // and "latest" would send a new consumer with auto.offset.reset=latest back to the start.
        var again = Start(Ensure(controllerEpoch: 1, leaderEpoch: 1, replicas: [0, 1]));
        var latest = Latest(again);
        Assert.True(latest.Error == ErrorCode.None, $"{latest.Error}: {latest.ErrorMessage}");
        Assert.Equal(3, latest.Offset);
    }

    [Fact]
    public void A_new_leader_whose_high_watermark_is_behind_its_log_end_answers_latest_offset_not_available()
    {
        var replica = Start(Ensure(controllerEpoch: 1, leaderEpoch: 0, replicas: [0, 1]));
        // acks=1 with a follower in the ISR: the record is written here, not yet committed.
        Assert.Equal(ErrorCode.None, Produce(replica, "a").Error);
        replica.Tell(Ensure(controllerEpoch: 1, leaderEpoch: 1, replicas: [0, 1]), TestActor);
        ExpectMsg<PartitionStateAck>(Wait);
        var latest = Latest(replica);
        Assert.Equal(ErrorCode.OffsetNotAvailable, latest.Error);
        Assert.True(latest.Error.IsRetriable());
    }

    private sealed class SignalOn(Func<IPersistentRepresentation, bool> match, TaskCompletionSource signal) : IJournalInterceptor
    {
        public Task InterceptAsync(IPersistentRepresentation message)
        {
            if (match(message)) signal.TrySetResult();
            return Task.CompletedTask;
        }
    }
}
