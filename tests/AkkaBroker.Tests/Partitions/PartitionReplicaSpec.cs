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

/// <summary>The partition replica actor over Akka.Persistence.TestKit's journal, which can be made to fail.</summary>
public class PartitionReplicaSpec() : TestKit(TestConfigs.PersistenceTestKit)
{
    private ITestJournal Journal => TestJournal.FromRef(Persistence.Instance.Apply(Sys).JournalFor(null));

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static int _topicCounter;
    private readonly TopicPartition _tp = new($"topic{Interlocked.Increment(ref _topicCounter)}", 0);

    private IActorRef StartReplica(BrokerSettings settings, bool ensure = true)
    {
        var replica = Sys.ActorOf(PartitionReplica.Props(_tp, settings));
        if (ensure)
        {
            replica.Tell(Ensure(settings), TestActor);
            Assert.Equal(ErrorCode.None, ExpectMsg<PartitionStateAck>(Wait).Error);
        }
        return replica;
    }

    /// <summary>The controller's command making this broker the partition's only replica and leader.</summary>
    private EnsurePartition Ensure(BrokerSettings settings) =>
        new(_tp, settings.EffectiveTopicConfig(new Dictionary<string, string>()), new PartitionAssignment(_tp.Partition, [settings.BrokerId]), null, 1);

    private void Stop(IActorRef replica)
    {
        Watch(replica);
        replica.Tell(PoisonPill.Instance);
        ExpectTerminated(replica, Wait);
    }

    private static byte[] Batch(params string[] values)
    {
        var b = new RecordBatchBuilder(CompressionType.None);
        foreach (var v in values) b.Append(1000, null, Encoding.UTF8.GetBytes(v));
        return b.Build();
    }

    private ProduceResponse Produce(IActorRef replica, params string[] values)
    {
        replica.Tell(new ProduceRequest(_tp, 1, 5000, Batch(values)), TestActor);
        return ExpectMsg<ProduceResponse>(Wait);
    }

    private List<string> FetchValues(IActorRef replica, long offset, int maxBytes = 1 << 20)
    {
        replica.Tell(new FetchRequest(_tp, offset, maxBytes, 1, 0), TestActor);
        var response = ExpectMsg<FetchResponse>(Wait);
        Assert.Equal(ErrorCode.None, response.Error);
        return RecordBatch.ReadAll(response.Records).SelectMany(b => b.ReadRecords())
            .Where(r => r.Offset >= offset).Select(r => Encoding.UTF8.GetString(r.Value!)).ToList();
    }

    [Fact]
    public void Partition_acknowledges_appends_with_their_base_offsets_and_serves_them()
    {
        var replica = StartReplica(TestConfigs.Settings());
        Assert.Equal(0, Produce(replica, "a", "b").BaseOffset);
        Assert.Equal(2, Produce(replica, "c").BaseOffset);
        Assert.Equal(["b", "c"], FetchValues(replica, 1));
    }

    [Fact]
    public void Partition_without_config_answers_unknown_topic_or_partition()
    {
        var replica = StartReplica(TestConfigs.Settings(), ensure: false);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, Produce(replica, "x").Error);
        replica.Tell(new ListOffsetsRequest(_tp, ListOffsetsRequest.Latest), TestActor);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, ExpectMsg<ListOffsetsResponse>(Wait).Error);
    }

    [Fact]
    public void A_fetch_at_the_log_end_waits_and_is_answered_when_records_arrive()
    {
        var replica = StartReplica(TestConfigs.Settings());
        var consumer = CreateTestProbe();
        replica.Tell(new FetchRequest(_tp, 0, 1 << 20, 1, 30_000), consumer);
        Assert.Equal(0, Produce(replica, "late").BaseOffset);
        var response = consumer.ExpectMsg<FetchResponse>(Wait);
        Assert.Equal("late", Encoding.UTF8.GetString(RecordBatch.ReadAll(response.Records).Single().ReadRecords()[0].Value!));
    }

    [Fact]
    public void A_fetch_that_cannot_reach_fetch_min_bytes_returns_what_there_is_after_fetch_max_wait()
    {
        var replica = StartReplica(TestConfigs.Settings());
        Produce(replica, "small");
        replica.Tell(new FetchRequest(_tp, 0, 1 << 20, 1_000_000, 200), TestActor);
        var response = ExpectMsg<FetchResponse>(Wait);
        Assert.Single(RecordBatch.ReadAll(response.Records));
    }

    [Fact]
    public void A_replica_serves_nothing_until_the_controller_says_it_leads()
    {
        var settings = TestConfigs.Settings();
        var replica = StartReplica(settings);
        Produce(replica, "a");
        Stop(replica);

        var again = StartReplica(settings, ensure: false);
        var refused = Produce(again, "b");
        Assert.Equal(ErrorCode.NotLeaderOrFollower, refused.Error);
        again.Tell(new FetchRequest(_tp, 0, 1 << 20, 1, 0), TestActor);
        Assert.Equal(ErrorCode.NotLeaderOrFollower, ExpectMsg<FetchResponse>(Wait).Error);
        again.Tell(Ensure(settings), TestActor);
        ExpectMsg<PartitionStateAck>(Wait);
        Assert.Equal(["a"], FetchValues(again, 0));
    }

    [Fact]
    public void A_restarted_replica_recovers_its_log_and_continues_the_offsets()
    {
        var settings = TestConfigs.Settings("akkabroker.partition.snapshot-interval-events = 3");
        var replica = StartReplica(settings);
        for (var i = 0; i < 10; i++) Produce(replica, $"v{i}");
        Stop(replica);

        var again = StartReplica(settings);
        Assert.Equal(10, Produce(again, "v10").BaseOffset);
        Assert.Equal(Enumerable.Range(0, 11).Select(i => $"v{i}"), FetchValues(again, 0));
        again.Tell(new ListOffsetsRequest(_tp, ListOffsetsRequest.Latest), TestActor);
        Assert.Equal(11, ExpectMsg<ListOffsetsResponse>(Wait).Offset);
    }

    [Fact]
    public void Offsets_older_than_the_tail_cache_are_read_back_from_the_journal()
    {
        var settings = TestConfigs.Settings("akkabroker.partition.tail-cache-bytes = 1, akkabroker.broker.log.index.interval.bytes = 150");
        var replica = StartReplica(settings);
        for (var i = 0; i < 20; i++) Produce(replica, $"v{i}", $"w{i}");
        Assert.Equal(["w3", "v4", "w4"], FetchValues(replica, 7).Take(3));
        Assert.Equal(40 - 7, FetchValues(replica, 7).Count);
        // A small byte limit still returns at least one batch, and never one past it.
        Assert.Equal(["v0", "w0"], FetchValues(replica, 0, maxBytes: 10));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task At_most_max_concurrent_journal_reads_run_at_once_and_the_others_wait_their_turn(int limit)
    {
        // Without a limit the same fetches overlap: the counter sees what the limit prevents.
        Assert.True(await MostJournalReadsAtOnce(100) > limit, "the fetches' journal reads should overlap when nothing limits them");
        Assert.Equal(limit, await MostJournalReadsAtOnce(limit));
    }

    /// <summary>Ten fetches below the tail cache at once; the most journal replays that ran at the same time.</summary>
    private async Task<int> MostJournalReadsAtOnce(int limit)
    {
        var settings = TestConfigs.Settings($"akkabroker.partition.tail-cache-bytes = 1, akkabroker.partition.max-concurrent-journal-reads = {limit}");
        var tp = new TopicPartition($"topic-reads-{limit}-{Guid.NewGuid():N}", 0);
        var replica = Sys.ActorOf(PartitionReplica.Props(tp, settings));
        replica.Tell(new EnsurePartition(tp, settings.EffectiveTopicConfig(new Dictionary<string, string>()), new PartitionAssignment(0, [settings.BrokerId]), null, 1), TestActor);
        ExpectMsg<PartitionStateAck>(Wait);
        for (var i = 0; i < 20; i++)
        {
            replica.Tell(new ProduceRequest(tp, 1, 5000, Batch($"v{i}")), TestActor);
            ExpectMsg<ProduceResponse>(Wait);
        }
        var replays = new OverlapCounter();
        await Journal.OnRecovery.SetInterceptorAsync(replays);
        try
        {
            for (var i = 0; i < 10; i++) replica.Tell(new FetchRequest(tp, i, 1 << 20, 1, 0), TestActor);
            Assert.All(ReceiveN(10, TimeSpan.FromSeconds(30)), r => Assert.Equal(ErrorCode.None, ((FetchResponse)r).Error));
        }
        finally
        {
            await Journal.OnRecovery.Pass();
        }
        return replays.MostAtOnce;
    }

    /// <summary>Counts journal replays running at once, each slowed so that reads started together overlap.</summary>
    private sealed class OverlapCounter : Akka.Persistence.TestKit.IJournalInterceptor
    {
        private int _now;
        private int _most;

        public int MostAtOnce => Volatile.Read(ref _most);

        public async Task InterceptAsync(Akka.Persistence.IPersistentRepresentation message)
        {
            var now = Interlocked.Increment(ref _now);
            for (var most = Volatile.Read(ref _most); now > most; most = Volatile.Read(ref _most))
                if (Interlocked.CompareExchange(ref _most, now, most) == most) break;
            await Task.Delay(20);
            Interlocked.Decrement(ref _now);
        }
    }

    [Fact]
    public void Timestamps_are_looked_up_in_the_journal_when_the_cache_does_not_cover_them()
    {
        var settings = TestConfigs.Settings("akkabroker.partition.tail-cache-bytes = 1, akkabroker.broker.log.index.interval.bytes = 1");
        var replica = StartReplica(settings);
        for (var i = 0; i < 10; i++)
        {
            var b = new RecordBatchBuilder(CompressionType.None);
            b.Append(1000 + i * 10, null, [1]);
            replica.Tell(new ProduceRequest(_tp, 1, 5000, b.Build()), TestActor);
            ExpectMsg<ProduceResponse>(Wait);
        }
        replica.Tell(new ListOffsetsRequest(_tp, 1035), TestActor);
        var found = ExpectMsg<ListOffsetsResponse>(Wait);
        Assert.Equal(4, found.Offset);
        Assert.Equal(1040, found.Timestamp);
    }

    [Fact]
    public async Task A_journal_write_failure_is_answered_with_kafka_storage_error_and_nothing_is_acknowledged()
    {
        var replica = StartReplica(TestConfigs.Settings());
        Watch(replica);
        Produce(replica, "kept");
        await Journal.OnWrite.Fail();
        var failed = Produce(replica, "lost");
        Assert.Equal(ErrorCode.KafkaStorageError, failed.Error);
        Assert.Contains("retry", failed.ErrorMessage);
        ExpectTerminated(replica, Wait);
        await Journal.OnWrite.Pass();

        // The replica restarts from its journal: the failed batch is not there and its offset is reused.
        var again = StartReplica(TestConfigs.Settings());
        var retried = Produce(again, "retried");
        Assert.True(retried.Error == ErrorCode.None, $"{retried.Error}: {retried.ErrorMessage}");
        Assert.Equal(1, retried.BaseOffset);
        Assert.Equal(["kept", "retried"], FetchValues(again, 0));
    }

    [Fact]
    public void Deleting_a_partition_wipes_its_log()
    {
        var settings = TestConfigs.Settings();
        var replica = StartReplica(settings);
        Produce(replica, "a");
        replica.Tell(new DeletePartition(_tp), TestActor);
        ExpectMsg<PartitionStateAck>(Wait);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, Produce(replica, "b").Error);
        replica.Tell(Ensure(settings), TestActor);
        ExpectMsg<PartitionStateAck>(Wait);
        Assert.Equal(0, Produce(replica, "fresh").BaseOffset);
    }
}
