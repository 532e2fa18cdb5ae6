using System.Diagnostics;
using System.Text.RegularExpressions;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Protocol;
using Xunit;

namespace AkkaBroker.Tests.Integration;

/// <summary>A broker whose groups rebalance at once and accept short sessions, so group tests run in seconds.</summary>
public sealed class GroupBrokerFixture : IAsyncLifetime
{
    public const string Config = """
        akkabroker.broker.group.initial.rebalance.delay.ms = 0
        akkabroker.broker.group.min.session.timeout.ms = 1000
        """;

    public BrokerFixture Broker { get; private set; } = null!;

    public async Task InitializeAsync() => Broker = await BrokerFixture.StartAsync(Config);

    public Task DisposeAsync() => Broker.DisposeAsync();
}

/// <summary>Consumer groups through the client library against a real in-process broker.</summary>
public class ConsumerGroupTests(GroupBrokerFixture fixture) : IClassFixture<GroupBrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private string Bootstrap => fixture.Broker.Bootstrap;

    private ConsumerConfig Config(string group, params (string Key, string Value)[] extra)
    {
        var c = new ConsumerConfig
        {
            BootstrapServers = Bootstrap, GroupId = group, FetchWaitMaxMs = 50, AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeoutMs = 6000, HeartbeatIntervalMs = 100, EnableAutoCommit = false,
        };
        foreach (var (k, v) in extra) c.Set(k, v);
        return c;
    }

    private IAdminClient Admin() => new AdminClientBuilder(new AdminClientConfig { BootstrapServers = Bootstrap }).Build();

    private async Task<string> NewTopic(int partitions, int records)
    {
        var name = "g-" + Guid.NewGuid().ToString("N")[..12];
        using (var admin = Admin())
            await admin.CreateTopicsAsync([new TopicSpecification { Name = name, NumPartitions = partitions }]);
        await Produce(name, partitions, 0, records);
        return name;
    }

    /// <summary>Values "p:i" spread round-robin over the partitions by explicit partition, so every partition has records.</summary>
    private async Task Produce(string topic, int partitions, int from, int count)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = Bootstrap, LingerMs = 1 }).Build();
        var tasks = Enumerable.Range(from, count).Select(i =>
            producer.ProduceAsync(new TopicPartition(topic, i % partitions), new Message<string, string> { Key = i.ToString(), Value = i.ToString() }));
        await Task.WhenAll(tasks);
    }

    private static string NewGroup() => "grp-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Polls every consumer in turn until <paramref name="done"/> holds, collecting what they return.</summary>
    private static void PollUntil(IEnumerable<(IConsumer<string, string> Consumer, List<ConsumeResult<string, string>> Seen)> consumers, Func<bool> done, string what)
    {
        var list = consumers.ToList();
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            Assert.True(clock.Elapsed < Timeout, $"expected {what} within {Timeout.TotalSeconds} s");
            // Each consumer waits briefly for its first record, then hands out what it has buffered without waiting,
            // so one idle consumer does not slow the others down to one record per wait.
            foreach (var (consumer, seen) in list)
            {
                var wait = TimeSpan.FromMilliseconds(10);
                while (!done() && consumer.Consume(wait) is { } r)
                {
                    if (!r.IsPartitionEOF) seen.Add(r);
                    wait = TimeSpan.Zero;
                }
            }
        }
    }

    private static async Task WaitFor(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < Timeout, $"expected {what} within {Timeout.TotalSeconds} s");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Two_consumers_in_a_group_share_the_partitions_and_together_read_every_record_once()
    {
        var topic = await NewTopic(6, 600);
        var group = NewGroup();
        // Auto-commit commits before partitions are revoked, so the rebalance when b joins re-delivers nothing.
        using var a = new ConsumerBuilder<string, string>(Config(group, ("enable.auto.commit", "true"))).Build();
        using var b = new ConsumerBuilder<string, string>(Config(group, ("enable.auto.commit", "true"))).Build();
        a.Subscribe(topic);
        b.Subscribe(topic);
        var seenA = new List<ConsumeResult<string, string>>();
        var seenB = new List<ConsumeResult<string, string>>();
        PollUntil([(a, seenA), (b, seenB)], () => a.Assignment.Count == 3 && b.Assignment.Count == 3 && seenA.Count + seenB.Count >= 600,
            "a 3/3 split and all 600 records");
        Assert.Empty(a.Assignment.Intersect(b.Assignment));
        var all = seenA.Concat(seenB).Select(r => r.Message!.Value).ToList();
        Assert.Equal(600, all.Distinct().Count());
        Assert.Equal(600, all.Count);
    }

    [Fact]
    public async Task Committing_in_the_revoked_handler_leaves_no_duplicates_after_a_rebalance()
    {
        var topic = await NewTopic(4, 400);
        var group = NewGroup();
        var seenA = new List<ConsumeResult<string, string>>();
        var revokedCommits = 0;
        using var a = new ConsumerBuilder<string, string>(Config(group))
            .SetPartitionsRevokedHandler((c, partitions) =>
            {
                // What the issue asks users to do: commit what was consumed before the partitions move.
                c.Commit(partitions.Where(p => p.Offset != Offset.Unset));
                revokedCommits++;
            })
            .Build();
        a.Subscribe(topic);
        PollUntil([(a, seenA)], () => seenA.Count >= 200, "200 records in the first consumer");

        var seenB = new List<ConsumeResult<string, string>>();
        using var b = new ConsumerBuilder<string, string>(Config(group)).Build();
        b.Subscribe(topic);
        PollUntil([(a, seenA), (b, seenB)], () => seenA.Count + seenB.Count >= 400 && b.Assignment.Count == 2, "all 400 records after the rebalance");
        Assert.True(revokedCommits >= 1, "the revoked handler ran");
        var values = seenA.Concat(seenB).Select(r => r.Message!.Value).ToList();
        var twice = seenA.Select(r => ("a", r)).Concat(seenB.Select(r => ("b", r))).GroupBy(x => x.r.Message!.Value).Where(g => g.Count() > 1)
            .Select(g => string.Join(" & ", g.Select(x => $"{x.Item1}:{x.r.TopicPartitionOffset}"))).ToList();
        Assert.True(twice.Count == 0, $"consumed twice: {string.Join("; ", twice)}");
    }

    [Fact]
    public async Task Without_a_commit_before_the_rebalance_the_records_are_delivered_again()
    {
        var topic = await NewTopic(2, 200);
        var group = NewGroup();
        var seenA = new List<ConsumeResult<string, string>>();
        using var a = new ConsumerBuilder<string, string>(Config(group)).Build();
        a.Subscribe(topic);
        PollUntil([(a, seenA)], () => seenA.Count >= 200, "200 records in the first consumer");
        var seenB = new List<ConsumeResult<string, string>>();
        using var b = new ConsumerBuilder<string, string>(Config(group)).Build();
        b.Subscribe(topic);
        PollUntil([(a, seenA), (b, seenB)], () => b.Assignment.Count == 1 && seenB.Count >= 100, "the second consumer re-reading its partition");
        // At least once: nothing was committed, so the moved partition starts over (never a lost record).
        Assert.All(seenB, r => Assert.Contains(seenA, x => x.Message!.Value == r.Message!.Value));
    }

    [Fact]
    public async Task Committed_offsets_are_where_a_new_member_starts()
    {
        var topic = await NewTopic(1, 100);
        var group = NewGroup();
        using (var a = new ConsumerBuilder<string, string>(Config(group)).Build())
        {
            a.Subscribe(topic);
            var seen = new List<ConsumeResult<string, string>>();
            PollUntil([(a, seen)], () => seen.Count >= 40, "40 records");
            a.Commit(seen[39]);
            var committed = a.Committed([new TopicPartition(topic, 0)], Timeout);
            Assert.Equal(40, committed[0].Offset.Value);
            a.Close();
        }
        using var b = new ConsumerBuilder<string, string>(Config(group)).Build();
        b.Subscribe(topic);
        var next = new List<ConsumeResult<string, string>>();
        PollUntil([(b, next)], () => next.Count >= 1, "a record");
        Assert.Equal(40, next[0].Offset.Value);
    }

    [Fact]
    public async Task Auto_offset_reset_none_names_the_partitions_that_have_no_committed_offset()
    {
        var topic = await NewTopic(2, 10);
        using var c = new ConsumerBuilder<string, string>(Config(NewGroup(), ("auto.offset.reset", "none"))).Build();
        c.Subscribe(topic);
        var clock = Stopwatch.StartNew();
        ConsumeException? error = null;
        while (error == null && clock.Elapsed < Timeout)
        {
            try
            {
                c.Consume(TimeSpan.FromMilliseconds(100));
            }
            catch (ConsumeException e)
            {
                error = e;
            }
        }
        Assert.NotNull(error);
        Assert.Equal(AkkaBroker.Client.ErrorCode.Local_AutoOffsetReset, error!.Error.Code);
        Assert.Contains($"{topic} [[0]]", error.Message);
        Assert.Contains($"{topic} [[1]]", error.Message);
    }

    [Fact]
    public async Task A_consumer_that_exceeds_max_poll_interval_is_removed_and_its_commit_fails()
    {
        var topic = await NewTopic(1, 10);
        var group = NewGroup();
        using var c = new ConsumerBuilder<string, string>(Config(group, ("max.poll.interval.ms", "1000"))).Build();
        c.Subscribe(topic);
        var seen = new List<ConsumeResult<string, string>>();
        PollUntil([(c, seen)], () => seen.Count >= 1, "a record");
        // The application now "processes" for longer than max.poll.interval.ms: no Consume calls.
        using var admin = Admin();
        await WaitFor(async () => (await admin.DescribeConsumerGroupAsync(group)).Members.Count == 0, "the member to be removed");
        var e = Assert.Throws<CommitFailedException>(() => c.Commit(seen[0]));
        Assert.Contains("max.poll.interval.ms", e.Message);
    }

    [Fact]
    public async Task Cooperative_sticky_revokes_only_the_partitions_that_move()
    {
        var topic = await NewTopic(4, 40);
        var group = NewGroup();
        var revokedFromA = new List<TopicPartition>();
        using var a = new ConsumerBuilder<string, string>(Config(group, ("partition.assignment.strategy", "cooperative-sticky")))
            .SetPartitionsRevokedHandler((_, ps) => revokedFromA.AddRange(ps.Select(p => p.TopicPartition)))
            .Build();
        a.Subscribe(topic);
        var seenA = new List<ConsumeResult<string, string>>();
        PollUntil([(a, seenA)], () => a.Assignment.Count == 4, "all four partitions in the first consumer");
        var before = a.Assignment.ToList();

        using var b = new ConsumerBuilder<string, string>(Config(group, ("partition.assignment.strategy", "cooperative-sticky"))).Build();
        b.Subscribe(topic);
        var seenB = new List<ConsumeResult<string, string>>();
        PollUntil([(a, seenA), (b, seenB)], () => a.Assignment.Count == 2 && b.Assignment.Count == 2, "a 2/2 split");
        Assert.Equal(2, revokedFromA.Count);
        Assert.Empty(revokedFromA.Intersect(a.Assignment));
        Assert.True(before.Intersect(a.Assignment).Count() == 2, "the first consumer kept two of its partitions throughout");
    }

    [Fact]
    public async Task A_static_member_that_restarts_within_its_session_gets_its_partitions_back_without_a_rebalance()
    {
        var topic = await NewTopic(2, 20);
        var group = NewGroup();
        using var admin = Admin();
        List<TopicPartition> first;
        int generation;
        using (var a = new ConsumerBuilder<string, string>(Config(group, ("group.instance.id", "static-a"))).Build())
        {
            a.Subscribe(topic);
            var seen = new List<ConsumeResult<string, string>>();
            PollUntil([(a, seen)], () => a.Assignment.Count == 2, "the assignment");
            first = a.Assignment.ToList();
            generation = (await admin.DescribeConsumerGroupAsync(group)).GenerationId;
            a.Close();
        }
        // A static member does not leave on close, so the group keeps its place.
        Assert.Single((await admin.DescribeConsumerGroupAsync(group)).Members);
        using var again = new ConsumerBuilder<string, string>(Config(group, ("group.instance.id", "static-a"))).Build();
        again.Subscribe(topic);
        var seenAgain = new List<ConsumeResult<string, string>>();
        PollUntil([(again, seenAgain)], () => again.Assignment.Count == 2, "the assignment again");
        Assert.Equal(first.OrderBy(p => p.Partition), again.Assignment.OrderBy(p => p.Partition));
        Assert.Equal(generation, (await admin.DescribeConsumerGroupAsync(group)).GenerationId);
    }

    [Fact]
    public async Task A_pattern_subscription_picks_up_a_topic_created_later()
    {
        var prefix = "pat" + Guid.NewGuid().ToString("N")[..6];
        using var admin = Admin();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = prefix + "-a", NumPartitions = 1 }]);
        using var c = new ConsumerBuilder<string, string>(Config(NewGroup(), ("metadata.max.age.ms", "300"))).Build();
        c.Subscribe(new Regex("^" + prefix + "-.*"));
        var seen = new List<ConsumeResult<string, string>>();
        PollUntil([(c, seen)], () => c.Assignment.Count == 1, "the first topic");
        await admin.CreateTopicsAsync([new TopicSpecification { Name = prefix + "-b", NumPartitions = 1 }]);
        await Produce(prefix + "-b", 1, 0, 5);
        PollUntil([(c, seen)], () => c.Assignment.Count == 2 && seen.Count(r => r.Topic == prefix + "-b") == 5, "the new topic's records");
    }

    [Fact]
    public async Task Paused_partitions_return_nothing_until_resumed()
    {
        var topic = await NewTopic(1, 0);
        var tp = new TopicPartition(topic, 0);
        using var c = new ConsumerBuilder<string, string>(Config(NewGroup())).Build();
        c.Subscribe(topic);
        var seen = new List<ConsumeResult<string, string>>();
        PollUntil([(c, seen)], () => c.Assignment.Count == 1, "the assignment");
        c.Pause([tp]);
        Assert.Equal([tp], c.Paused());
        await Produce(topic, 1, 0, 10);
        var clock = Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < 500) Assert.Null(c.Consume(TimeSpan.FromMilliseconds(50)));
        c.Resume([tp]);
        PollUntil([(c, seen)], () => seen.Count == 10, "the records after resume");
    }

    [Fact]
    public async Task Admin_tools_refuse_to_delete_or_reset_a_group_with_members_and_reset_it_once_empty()
    {
        var topic = await NewTopic(1, 50);
        var group = NewGroup();
        using var admin = Admin();
        using (var c = new ConsumerBuilder<string, string>(Config(group)).Build())
        {
            c.Subscribe(topic);
            var seen = new List<ConsumeResult<string, string>>();
            PollUntil([(c, seen)], () => seen.Count >= 50, "the records");
            c.Commit();
            var refused = await Assert.ThrowsAsync<DeleteGroupsException>(() => admin.DeleteConsumerGroupAsync(group));
            Assert.Equal(AkkaBroker.Client.ErrorCode.NonEmptyGroup, Assert.Single(refused.Results).Error.Code);
            var reset = await Assert.ThrowsAsync<AlterConsumerGroupOffsetsException>(() => admin.AlterConsumerGroupOffsetsAsync(group, [new TopicPartitionOffset(topic, 0, new Offset(0))]));
            Assert.Equal(AkkaBroker.Client.ErrorCode.NonEmptyGroup, Assert.Single(reset.Results).Error.Code);
            Assert.Contains(group, await admin.GroupIdsAsync());
            c.Close();
        }
        await admin.AlterConsumerGroupOffsetsAsync(group, [new TopicPartitionOffset(topic, 0, new Offset(10))]);
        var d = await admin.DescribeConsumerGroupAsync(group);
        Assert.Equal(ConsumerGroupState.Empty, d.State);
        Assert.Equal(10, Assert.Single(d.CommittedOffsets).Offset.Value);
        await admin.DeleteConsumerGroupAsync(group);
        Assert.Equal(ConsumerGroupState.Dead, (await admin.DescribeConsumerGroupAsync(group)).State);
        await WaitFor(async () => !(await admin.GroupIdsAsync()).Contains(group), "the group to leave the directory");
    }

    [Fact]
    public async Task CommitAsync_calls_back_on_the_consumers_thread_during_a_later_Consume()
    {
        var topic = await NewTopic(1, 10);
        var group = NewGroup();
        using var c = new ConsumerBuilder<string, string>(Config(group)).Build();
        c.Subscribe(topic);
        var seen = new List<ConsumeResult<string, string>>();
        PollUntil([(c, seen)], () => seen.Count >= 10, "the records");
        var consumerThread = Environment.CurrentManagedThreadId;
        int? callbackThread = null;
        IReadOnlyList<TopicPartitionOffset>? committed = null;
        KafkaException? failure = null;
        c.CommitAsync(null, (offsets, error) =>
        {
            callbackThread = Environment.CurrentManagedThreadId;
            committed = offsets;
            failure = error;
        });
        PollUntil([(c, seen)], () => callbackThread != null, "the commit callback");
        Assert.Equal(consumerThread, callbackThread);
        Assert.Null(failure);
        Assert.Equal(10, Assert.Single(committed!).Offset.Value);
        Assert.Equal(10, c.Committed([new TopicPartition(topic, 0)], Timeout)[0].Offset.Value);
    }

    [Fact]
    public async Task With_auto_offset_store_off_only_stored_offsets_are_committed()
    {
        var topic = await NewTopic(1, 10);
        var group = NewGroup();
        using var c = new ConsumerBuilder<string, string>(Config(group, ("enable.auto.offset.store", "false"))).Build();
        c.Subscribe(topic);
        var seen = new List<ConsumeResult<string, string>>();
        PollUntil([(c, seen)], () => seen.Count >= 10, "the records");
        c.StoreOffset(seen[3]);
        var committed = c.Commit();
        Assert.Equal(4, Assert.Single(committed).Offset.Value);
        Assert.Equal(4, c.Committed([new TopicPartition(topic, 0)], Timeout)[0].Offset.Value);
    }

    [Fact]
    public async Task Unsubscribe_gives_the_partitions_up_and_leaves_the_group()
    {
        var topic = await NewTopic(2, 10);
        var group = NewGroup();
        var revoked = new List<TopicPartitionOffset>();
        using var c = new ConsumerBuilder<string, string>(Config(group))
            .SetPartitionsRevokedHandler((_, ps) => revoked.AddRange(ps))
            .Build();
        c.Subscribe(topic);
        var seen = new List<ConsumeResult<string, string>>();
        PollUntil([(c, seen)], () => c.Assignment.Count == 2, "the assignment");
        c.Unsubscribe();
        Assert.Empty(c.Assignment);
        Assert.Empty(c.Subscription);
        Assert.Equal(2, revoked.Count);
        using var admin = Admin();
        Assert.Empty((await admin.DescribeConsumerGroupAsync(group)).Members);
    }
}
