using Xunit;

namespace AkkaBroker.EndToEnd.Tests;

/// <summary>The console tools as a user runs them, against a real broker process.</summary>
public class CommandLineTests
{
    [Fact]
    public async Task Topics_produce_consume_trim_and_reassign_from_the_command_line()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "akkabroker-e2e-" + Guid.NewGuid().ToString("N"));
        using var broker = await BrokerProcess.StartAsync(dataDir);
        var b = broker.Bootstrap;

        var create = await BrokerProcess.RunToolAsync(null, "topics", "create", "--bootstrap-server", b, "--topic", "cli", "--partitions", "2",
            "--config", "retention.ms=60000");
        Assert.True(create.ExitCode == 0, create.Stderr);
        var describe = await BrokerProcess.RunToolAsync(null, "topics", "describe", "--bootstrap-server", b, "--topic", "cli");
        Assert.Contains("PartitionCount: 2", describe.Stdout);
        Assert.Contains("retention.ms=60000", describe.Stdout);

        var produce = await BrokerProcess.RunToolAsync("a:1\nb:2\nc:3\n", "produce", "--bootstrap-server", b, "--topic", "cli",
            "--property", "parse.key=true", "--property", "key.separator=:");
        Assert.True(produce.ExitCode == 0, produce.Stderr);

        var consume = await BrokerProcess.RunToolAsync(null, "consume", "--bootstrap-server", b, "--topic", "cli", "--from-beginning",
            "--max-messages", "3", "--timeout-ms", "20000", "--property", "print.key=true", "--property", "key.separator=:");
        Assert.True(consume.ExitCode == 0, consume.Stderr);
        Assert.Equal(["a:1", "b:2", "c:3"], consume.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
        Assert.Contains("Processed a total of 3 messages", consume.Stderr);

        // Everything up to the high watermark of both partitions deleted: the log starts at each one's end.
        var trim = await BrokerProcess.RunToolAsync(null, "topics", "delete-records", "--bootstrap-server", b, "--topic", "cli", "--offset", "-1");
        Assert.True(trim.ExitCode == 0, trim.Stderr);
        Assert.Equal(2, trim.Stdout.Split('\n').Count(l => l.Contains("the log now starts at offset")));
        var past = await BrokerProcess.RunToolAsync(null, "topics", "delete-records", "--bootstrap-server", b, "--topic", "cli", "--partition", "0", "--offset", "1000");
        Assert.Equal(1, past.ExitCode);
        Assert.Contains("OFFSET_OUT_OF_RANGE", past.Stderr);

        // kafka-reassign-partitions' round: generate a plan from Kafka's JSON, execute it, verify it, list what is left.
        var brokerId = System.Text.RegularExpressions.Regex.Match((await BrokerProcess.RunToolAsync(null, "cluster", "describe", "--bootstrap-server", b)).Stdout,
            @"Broker: (\d+)").Groups[1].Value;
        var topics = Path.Combine(dataDir, "..", $"topics-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(topics, "{\"topics\": [{\"topic\": \"cli\"}], \"version\": 1}");
        var generated = await BrokerProcess.RunToolAsync(null, "reassign-partitions", "--bootstrap-server", b, "--generate", "--topics-to-move-json-file", topics,
            "--broker-list", brokerId);
        Assert.True(generated.ExitCode == 0, generated.Stderr);
        Assert.Contains("Proposed partition reassignment configuration", generated.Stdout);
        var plan = Path.Combine(dataDir, "..", $"plan-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(plan, generated.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last());
        Assert.Contains($"\"topic\":\"cli\",\"partition\":1,\"replicas\":[{brokerId}]", await File.ReadAllTextAsync(plan));
        var executed = await BrokerProcess.RunToolAsync(null, "reassign-partitions", "--bootstrap-server", b, "--execute", "--reassignment-json-file", plan, "--throttle", "1000000");
        Assert.True(executed.ExitCode == 0, executed.Stderr);
        Assert.Contains("Successfully started partition reassignments for cli-0,cli-1", executed.Stdout);
        var verified = await BrokerProcess.RunToolAsync(null, "reassign-partitions", "--bootstrap-server", b, "--verify", "--reassignment-json-file", plan);
        Assert.True(verified.ExitCode == 0, verified.Stdout);
        Assert.Contains("Reassignment of partition cli-1 is complete.", verified.Stdout);
        Assert.Contains("No partition reassignments found.", (await BrokerProcess.RunToolAsync(null, "reassign-partitions", "--bootstrap-server", b, "--list")).Stdout);
        var logDirs = await BrokerProcess.RunToolAsync(null, "log-dirs", "--bootstrap-server", b, "--describe", "--topic-list", "cli");
        Assert.True(logDirs.ExitCode == 0, logDirs.Stderr);
        Assert.Contains($"{{\"broker\":{brokerId},\"logDirs\":[{{\"logDir\":\"journal\",\"error\":null,\"partitions\":[{{\"partition\":\"cli-0\"", logDirs.Stdout);
        await File.WriteAllTextAsync(plan, "{\"version\": 1, \"partitions\": [{\"topic\": \"cli\", \"partition\": 0, \"replicas\": [98, 99]}]}");
        var nowhere = await BrokerProcess.RunToolAsync(null, "reassign-partitions", "--bootstrap-server", b, "--execute", "--reassignment-json-file", plan);
        Assert.Equal(1, nowhere.ExitCode);
        Assert.Contains("INVALID_REPLICA_ASSIGNMENT", nowhere.Stderr);

        // kafka-configs: a cluster-wide broker default reaches the topic's describe; a topic override still wins; a
        // broker-only key is refused naming where it is set.
        var setDefault = await BrokerProcess.RunToolAsync(null, "configs", "--bootstrap-server", b, "--entity-type", "brokers", "--entity-default",
            "--alter", "--add-config", "log.cleanup.policy=[compact,delete],log.retention.hours=2");
        Assert.True(setDefault.ExitCode == 0, setDefault.Stderr);
        Assert.Contains("Completed updating default config for brokers in the cluster.", setDefault.Stdout);
        var topicConfigs = await BrokerProcess.RunToolAsync(null, "configs", "--bootstrap-server", b, "--entity-type", "topics", "--entity-name", "cli", "--describe", "--all");
        Assert.Contains("cleanup.policy=compact,delete sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.cleanup.policy=compact,delete}", topicConfigs.Stdout);
        Assert.Contains("retention.ms=60000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=60000}", topicConfigs.Stdout);
        var brokerConfigs = await BrokerProcess.RunToolAsync(null, "configs", "--bootstrap-server", b, "--entity-type", "brokers", "--entity-name", brokerId, "--describe", "--all");
        Assert.Contains("log.retention.ms=7200000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=7200000}", brokerConfigs.Stdout);
        var startOnly = await BrokerProcess.RunToolAsync(null, "configs", "--bootstrap-server", b, "--entity-type", "brokers", "--entity-name", brokerId,
            "--alter", "--add-config", "num.partitions=4");
        Assert.Equal(1, startOnly.ExitCode);
        Assert.Contains("'num.partitions' is read at start only", startOnly.Stderr);
        // Back to the file's defaults, so topics created below are not compacted.
        var reset = await BrokerProcess.RunToolAsync(null, "configs", "--bootstrap-server", b, "--entity-type", "brokers", "--entity-default",
            "--alter", "--delete-config", "log.cleanup.policy,log.retention.ms");
        Assert.True(reset.ExitCode == 0, reset.Stderr);
        Assert.Contains("Default configs for brokers in the cluster are:",
            (await BrokerProcess.RunToolAsync(null, "configs", "--bootstrap-server", b, "--entity-type", "brokers", "--entity-default", "--describe")).Stdout);

        // kafka-configs of client quotas: a user's client id and the default client id, described as Kafka prints them;
        // a value that is no number is refused by the tool, a key that is no quota by the broker.
        var userClient = await BrokerProcess.RunToolAsync(null, "configs", "--bootstrap-server", b, "--alter", "--user", "alice", "--client", "app",
            "--add-config", "producer_byte_rate=1024,consumer_byte_rate=2048");
        Assert.True(userClient.ExitCode == 0, userClient.Stderr);
        Assert.Contains("Completed updating quota configs for user-principal 'alice', client-id 'app'.", userClient.Stdout);
        var clientDefault = await BrokerProcess.RunToolAsync(null, "configs", "--bootstrap-server", b, "--alter", "--entity-type", "clients", "--entity-default",
            "--add-config", "request_percentage=25");
        Assert.True(clientDefault.ExitCode == 0, clientDefault.Stderr);
        var quotas = await BrokerProcess.RunToolAsync(null, "configs", "--bootstrap-server", b, "--describe", "--entity-type", "clients");
        Assert.Contains("Quota configs for the default client-id are request_percentage=25.0", quotas.Stdout);
        Assert.DoesNotContain("alice", quotas.Stdout);
        var alices = await BrokerProcess.RunToolAsync(null, "configs", "--bootstrap-server", b, "--describe", "--user", "alice", "--client", "app");
        Assert.Contains("Quota configs for user-principal 'alice', client-id 'app' are consumer_byte_rate=2048.0, producer_byte_rate=1024.0", alices.Stdout);
        // kafka-configs' own form: each --entity-name goes with the --entity-type before it.
        var kafkaForm = await BrokerProcess.RunToolAsync(null, "configs", "--bootstrap-server", b, "--describe",
            "--entity-type", "users", "--entity-name", "alice", "--entity-type", "clients", "--entity-name", "app");
        Assert.True(kafkaForm.ExitCode == 0, kafkaForm.Stderr);
        Assert.Contains("Quota configs for user-principal 'alice', client-id 'app' are consumer_byte_rate=2048.0, producer_byte_rate=1024.0", kafkaForm.Stdout);
        var notANumber = await BrokerProcess.RunToolAsync(null, "configs", "--bootstrap-server", b, "--alter", "--user", "alice", "--add-config", "producer_byte_rate=fast");
        Assert.Equal(2, notANumber.ExitCode);
        Assert.Contains("the value of quota 'producer_byte_rate' is a number", notANumber.Stderr);
        var notAQuota = await BrokerProcess.RunToolAsync(null, "configs", "--bootstrap-server", b, "--alter", "--user", "alice", "--add-config", "producer.byte.rate=5");
        Assert.Equal(1, notAQuota.ExitCode);
        Assert.Contains("'producer.byte.rate' is not a client quota", notAQuota.Stderr);
        var removed = await BrokerProcess.RunToolAsync(null, "configs", "--bootstrap-server", b, "--alter", "--user", "alice", "--client", "app",
            "--delete-config", "producer_byte_rate,consumer_byte_rate");
        Assert.True(removed.ExitCode == 0, removed.Stderr);
        var afterRemoval = await BrokerProcess.RunToolAsync(null, "configs", "--bootstrap-server", b, "--describe", "--user", "alice", "--client", "app");
        Assert.True(afterRemoval.ExitCode == 0, afterRemoval.Stderr);
        Assert.DoesNotContain("Quota configs for user-principal 'alice'", afterRemoval.Stdout);
        Assert.Contains("request_percentage=25.0", (await BrokerProcess.RunToolAsync(null, "configs", "--bootstrap-server", b, "--describe", "--client-defaults")).Stdout);

        var bad = await BrokerProcess.RunToolAsync(null, "topics", "create", "--bootstrap-server", b, "--topic", "bad name");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("INVALID_TOPIC_EXCEPTION", bad.Stderr);

        var verifiable = await BrokerProcess.RunToolAsync(null, "verifiable-producer", "--bootstrap-server", b, "--topic", "vp", "--max-messages", "20");
        Assert.True(verifiable.ExitCode == 0, verifiable.Stderr);
        Assert.Equal(20, verifiable.Stdout.Split('\n').Count(l => l.Contains("\"producer_send_success\"")));
        Assert.Contains("\"tool_data\"", verifiable.Stdout);
    }

    [Fact]
    public async Task Perf_tools_report_a_steady_state_summary_after_the_warm_up_records()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "akkabroker-e2e-" + Guid.NewGuid().ToString("N"));
        using var broker = await BrokerProcess.StartAsync(dataDir);
        var b = broker.Bootstrap;

        var produce = await BrokerProcess.RunToolAsync(null, "perf", "produce", "--bootstrap-server", b, "--topic", "perf",
            "--num-records", "2000", "--warmup-records", "500", "--record-size", "100", "--throughput", "-1", "--producer-props", "acks=1");
        Assert.True(produce.ExitCode == 0, produce.Stderr);
        Assert.Contains("2000 records sent", produce.Stdout);
        Assert.Contains("steady state (after 500 warm-up records): 1500 records sent", produce.Stdout);
        Assert.Contains("batch-size-avg", produce.Stdout);

        var consume = await BrokerProcess.RunToolAsync(null, "perf", "consume", "--bootstrap-server", b, "--topic", "perf", "--messages", "2000",
            "--timeout", "20000", "--fetch-size", "65536", "--print-metrics");
        Assert.True(consume.ExitCode == 0, consume.Stderr);
        // kafka-consumer-perf-test's columns, then the consumer's metrics.
        Assert.Contains("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec", consume.Stdout);
        Assert.Matches(@"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}, .*, 2000, ", consume.Stdout);
        Assert.Contains("fetch-size-avg", consume.Stdout);

        var bad = await BrokerProcess.RunToolAsync(null, "perf", "produce", "--bootstrap-server", b, "--topic", "perf",
            "--num-records", "10", "--warmup-records", "10", "--record-size", "100", "--throughput", "-1");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("--warmup-records must be at least 0 and less than --num-records (10); got 10", bad.Stderr);
    }

    [Fact]
    public async Task Console_consumer_in_a_group_commits_and_the_groups_commands_show_reset_export_restore_and_delete_its_offsets()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "akkabroker-e2e-" + Guid.NewGuid().ToString("N"));
        using var broker = await BrokerProcess.StartAsync(dataDir, extraConfig: "akkabroker.broker.group.initial.rebalance.delay.ms = 0");
        var b = broker.Bootstrap;
        var produce = await BrokerProcess.RunToolAsync("1\n2\n3\n4\n5\n", "produce", "--bootstrap-server", b, "--topic", "cg");
        Assert.True(produce.ExitCode == 0, produce.Stderr);

        var consume = await BrokerProcess.RunToolAsync(null, "consume", "--bootstrap-server", b, "--topic", "cg", "--group", "cli-group",
            "--from-beginning", "--max-messages", "5", "--timeout-ms", "30000");
        Assert.True(consume.ExitCode == 0, consume.Stderr);
        Assert.True(consume.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).SequenceEqual(["1", "2", "3", "4", "5"]),
            $"first group consume printed:\n{consume.Stdout}\nstderr:\n{consume.Stderr}");

        var list = await BrokerProcess.RunToolAsync(null, "groups", "list", "--bootstrap-server", b);
        Assert.Contains("cli-group", list.Stdout);
        // Closing committed the position: offset 5, log end 5, lag 0.
        var describe = await BrokerProcess.RunToolAsync(null, "groups", "describe", "--bootstrap-server", b, "--group", "cli-group");
        Assert.True(describe.ExitCode == 0, describe.Stderr);
        Assert.Contains("STATE Empty", describe.Stdout);
        Assert.Matches(@"cg\s+0\s+5\s+5\s+0", describe.Stdout);

        var dryRun = await BrokerProcess.RunToolAsync(null, "groups", "reset-offsets", "--bootstrap-server", b, "--group", "cli-group", "--topic", "cg", "--shift-by", "-2");
        Assert.Contains("Dry run", dryRun.Stdout);
        Assert.Matches(@"cli-group\s+cg\s+0\s+3", dryRun.Stdout);
        var reset = await BrokerProcess.RunToolAsync(null, "groups", "reset-offsets", "--bootstrap-server", b, "--group", "cli-group", "--topic", "cg", "--to-earliest", "--execute");
        Assert.True(reset.ExitCode == 0, reset.Stderr);
        var again = await BrokerProcess.RunToolAsync(null, "consume", "--bootstrap-server", b, "--topic", "cg", "--group", "cli-group",
            "--max-messages", "5", "--timeout-ms", "30000");
        Assert.True(again.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).SequenceEqual(["1", "2", "3", "4", "5"]),
            $"consume after the reset printed:\n{again.Stdout}\nstderr:\n{again.Stderr}");

        // Save the offsets, replay the last hour for every group, then restore what was saved.
        var export = await BrokerProcess.RunToolAsync(null, "groups", "reset-offsets", "--bootstrap-server", b, "--group", "cli-group", "--all-topics", "--to-current", "--export");
        Assert.True(export.ExitCode == 0, export.Stderr);
        Assert.Equal("cli-group,cg,0,5", export.Stdout.Trim());
        var saved = Path.Combine(dataDir, "..", $"offsets-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(saved, export.Stdout);
        var replay = await BrokerProcess.RunToolAsync(null, "groups", "reset-offsets", "--bootstrap-server", b, "--all-groups", "--topic", "cg", "--by-duration", "PT1H", "--execute");
        Assert.True(replay.ExitCode == 0, replay.Stderr);
        Assert.Matches(@"cg\s+0\s+0\s+5\s+5", (await BrokerProcess.RunToolAsync(null, "groups", "describe", "--bootstrap-server", b, "--all-groups")).Stdout);
        var restore = await BrokerProcess.RunToolAsync(null, "groups", "reset-offsets", "--bootstrap-server", b, "--from-file", saved, "--execute");
        Assert.True(restore.ExitCode == 0, restore.Stderr);
        Assert.Matches(@"cg\s+0\s+5\s+5\s+0", (await BrokerProcess.RunToolAsync(null, "groups", "describe", "--bootstrap-server", b, "--group", "cli-group")).Stdout);

        // Offsets of a topic the group no longer reads can be dropped.
        Assert.Equal(0, (await BrokerProcess.RunToolAsync("x\n", "produce", "--bootstrap-server", b, "--topic", "cg-old")).ExitCode);
        Assert.Equal(0, (await BrokerProcess.RunToolAsync(null, "groups", "reset-offsets", "--bootstrap-server", b, "--group", "cli-group", "--topic", "cg-old", "--to-latest", "--execute")).ExitCode);
        Assert.Matches(@"cg-old\s+0\s+1", (await BrokerProcess.RunToolAsync(null, "groups", "describe", "--bootstrap-server", b, "--group", "cli-group")).Stdout);
        var dropped = await BrokerProcess.RunToolAsync(null, "groups", "delete-offsets", "--bootstrap-server", b, "--group", "cli-group", "--topic", "cg-old");
        Assert.True(dropped.ExitCode == 0, dropped.Stderr);
        Assert.DoesNotContain("cg-old", (await BrokerProcess.RunToolAsync(null, "groups", "describe", "--bootstrap-server", b, "--group", "cli-group")).Stdout);

        // One broker leads every partition as preferred already.
        var preferred = await BrokerProcess.RunToolAsync(null, "leader-election", "--bootstrap-server", b, "--election-type", "preferred", "--topic", "cg");
        Assert.True(preferred.ExitCode == 0, preferred.Stderr);
        Assert.Contains("Valid replica already elected for partitions", preferred.Stdout);
        var missing = await BrokerProcess.RunToolAsync(null, "leader-election", "--bootstrap-server", b, "--election-type", "unclean", "--topic", "cg", "--partition", "9");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("UNKNOWN_TOPIC_OR_PARTITION", missing.Stderr);

        var delete = await BrokerProcess.RunToolAsync(null, "groups", "delete", "--bootstrap-server", b, "--group", "cli-group");
        Assert.True(delete.ExitCode == 0, delete.Stderr);
        var gone = await BrokerProcess.RunToolAsync(null, "groups", "describe", "--bootstrap-server", b, "--group", "cli-group");
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains("does not exist", gone.Stderr);
    }

    [Fact]
    public async Task Seed_nodes_that_are_not_host_port_pairs_are_refused_before_the_broker_starts()
    {
        var result = await BrokerProcess.RunToolAsync(null, "serve", "--port", "0", "--seed-nodes", "127.0.0.1");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--seed-nodes '127.0.0.1' must be host:port pairs separated by commas", result.Stderr);
    }

    [Fact]
    public async Task Bad_broker_configuration_fails_at_start_naming_key_and_value()
    {
        var config = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.conf");
        await File.WriteAllTextAsync(config, "akkabroker.broker.num.partitions = -3\n");
        var result = await BrokerProcess.RunToolAsync(null, "serve", "--config", config, "--port", "0");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("akkabroker.broker.num.partitions = '-3'", result.Stderr);
    }
}
