using System.CommandLine;
using Akka.Actor;
using Akka.Configuration;
using AkkaBroker.Client;
using AkkaBroker.Mirror;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace AkkaBroker.Host;

/// <summary>
/// <c>mirror-maker</c>: Kafka MirrorMaker's command line. Consumes the matching topics of the source cluster in one
/// group with <c>--num.streams</c> consumers and produces them to the target cluster, committing source offsets only
/// for records the target acknowledged. Runs until Ctrl-C or SIGTERM, then commits what is safe and exits 0; a record
/// the target refused (with <c>--abort.on.send.failure</c> true) exits 1; a refused configuration exits 2.
/// </summary>
internal static class MirrorMakerCommand
{
    public static Command Create()
    {
        var consumerConfig = new Option<string>("--consumer.config") { Description = "Java properties file of the source cluster's consumer (bootstrap.servers, group.id, ...)", Required = true };
        var producerConfig = new Option<string>("--producer.config") { Description = "Java properties file of the target cluster's producer (bootstrap.servers, ...); acks=all and idempotence are forced", Required = true };
        var numStreams = new Option<int>("--num.streams") { Description = "Consumers (stream actors) in the mirror's group", DefaultValueFactory = _ => 1 };
        var include = new Option<string?>("--include", "--whitelist") { Description = "Regular expression of the topics to mirror (',' also separates alternatives, as in Kafka)" };
        var exclude = new Option<string?>("--exclude", "--blacklist") { Description = "Regular expression of included topics not to mirror" };
        var commitInterval = new Option<long>("--offset.commit.interval.ms") { Description = "How often acknowledged source offsets are committed", DefaultValueFactory = _ => MirrorMakerSettings.DefaultOffsetCommitIntervalMs };
        var abortOnSendFailure = new Option<bool>("--abort.on.send.failure") { Description = "Stop when the target refuses a record (true) or drop it and go on (false)", DefaultValueFactory = _ => true };
        var policy = new Option<string?>("--replication.policy.class") { Description = "IdentityReplicationPolicy (default: names stay) or DefaultReplicationPolicy ({source.cluster.alias}.{topic})" };
        var sourceAlias = new Option<string?>("--source.cluster.alias") { Description = "The source cluster's name in remote topic names" };
        var targetAlias = new Option<string?>("--target.cluster.alias") { Description = "The target cluster's name: topics that came from it are not mirrored back" };
        var separator = new Option<string?>("--replication.policy.separator") { Description = "Between the alias and the topic name (default '.')" };
        var emitCheckpoints = new Option<bool>("--emit.checkpoints.enabled") { Description = "Translate the source consumer groups' committed offsets to the target (topic __mirror_checkpoints)", DefaultValueFactory = _ => true };
        var checkpointInterval = new Option<double>("--emit.checkpoints.interval.seconds") { Description = "How often group offsets are translated", DefaultValueFactory = _ => MirrorMakerSettings.DefaultCheckpointIntervalSeconds };
        var syncGroupOffsets = new Option<bool>("--sync.group.offsets.enabled") { Description = "Commit the translated offsets as the target group's, while it has no members on the target", DefaultValueFactory = _ => false };
        var groups = new Option<string?>("--groups") { Description = "Regular expression of the source groups to translate (default: every group)" };
        var groupsExclude = new Option<string?>("--groups.exclude") { Description = $"Groups not to translate (default: {MirrorMakerSettings.DefaultGroupsExclude})" };
        var emitHeartbeats = new Option<bool>("--emit.heartbeats.enabled") { Description = "Write a heartbeat to the source's heartbeats topic and mirror it to {source.cluster.alias}.heartbeats", DefaultValueFactory = _ => true };
        var heartbeatInterval = new Option<double>("--emit.heartbeats.interval.seconds") { Description = "How often a heartbeat is written", DefaultValueFactory = _ => 1 };
        var syncConfigs = new Option<bool>("--sync.topic.configs.enabled") { Description = "Copy changes of the source topics' configs to the target", DefaultValueFactory = _ => true };
        var syncConfigsInterval = new Option<double>("--sync.topic.configs.interval.seconds") { Description = "How often topic configs are compared", DefaultValueFactory = _ => 600 };
        var metricsPort = new Option<int>("--metrics-port") { Description = "Serve the mirror's metrics (lag, latency, records, batch and fetch sizes) for Prometheus on this port; 0: off", DefaultValueFactory = _ => 0 };
        var metricsHost = new Option<string>("--metrics-host") { Description = "Address the metrics endpoint listens on", DefaultValueFactory = _ => "127.0.0.1" };
        var logFormat = HostLogging.FormatOption();
        var command = new Command("mirror-maker", "Mirror topics from one cluster to another (Kafka's MirrorMaker), committing only what the target acknowledged.")
            { consumerConfig, producerConfig, numStreams, include, exclude, commitInterval, abortOnSendFailure, policy, sourceAlias, targetAlias, separator,
              emitCheckpoints, checkpointInterval, syncGroupOffsets, groups, groupsExclude, emitHeartbeats, heartbeatInterval, syncConfigs, syncConfigsInterval, metricsPort, metricsHost, logFormat };
        command.Subcommands.Add(CreateStatus());
        command.SetAction(async (parse, _) =>
        {
            MirrorMakerSettings settings;
            try
            {
                settings = MirrorMakerSettings.Load(new MirrorMakerOptions
                {
                    ConsumerConfig = parse.GetValue(consumerConfig), ProducerConfig = parse.GetValue(producerConfig), NumStreams = parse.GetValue(numStreams),
                    Include = parse.GetValue(include), Exclude = parse.GetValue(exclude), OffsetCommitIntervalMs = parse.GetValue(commitInterval),
                    AbortOnSendFailure = parse.GetValue(abortOnSendFailure), ReplicationPolicyClass = parse.GetValue(policy),
                    SourceClusterAlias = parse.GetValue(sourceAlias), TargetClusterAlias = parse.GetValue(targetAlias), ReplicationPolicySeparator = parse.GetValue(separator),
                    EmitCheckpointsEnabled = parse.GetValue(emitCheckpoints), EmitCheckpointsIntervalSeconds = parse.GetValue(checkpointInterval),
                    SyncGroupOffsetsEnabled = parse.GetValue(syncGroupOffsets), Groups = parse.GetValue(groups), GroupsExclude = parse.GetValue(groupsExclude),
                    EmitHeartbeatsEnabled = parse.GetValue(emitHeartbeats), EmitHeartbeatsIntervalSeconds = parse.GetValue(heartbeatInterval),
                    SyncTopicConfigsEnabled = parse.GetValue(syncConfigs), SyncTopicConfigsIntervalSeconds = parse.GetValue(syncConfigsInterval),
                });
            }
            catch (MirrorMakerConfigException e)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return 2;
            }
            if (HostLogging.CreateFor(parse.GetValue(logFormat)) is not { } log) return 2;
            using var logging = log;
            OperatorEndpoint? endpoint = null;
            if (parse.GetValue(metricsPort) is > 0 and var port)
            {
                var host = parse.GetValue(metricsHost)!;
                try
                {
                    endpoint = await OperatorEndpoint.StartAsync(host, port, MirrorMetrics.MeterName);
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
                {
                    await Console.Error.WriteLineAsync($"error: cannot serve metrics on {host}:{port}: {e.Message}. Choose another --metrics-port or --metrics-host (0 turns the endpoint off).");
                    return 2;
                }
                log.Status($"metrics: {endpoint.Url}/metrics (health: {endpoint.Url}/health/live)");
            }
            await using var operatorEndpoint = endpoint;
            var system = ActorSystem.Create("mirror-maker", log.AkkaSink().SystemSetup(ConfigurationFactory.ParseString("akka.loglevel = INFO")));
            var mirror = system.ActorOf(MirrorMaker.Props(settings), "mirror-maker");
            var stopped = false;
            void Stop()
            {
                stopped = true;
                mirror.Tell(new MirrorMaker.Shutdown());
            }
            // Ctrl-C or SIGTERM: the streams stop, commit what the target acknowledged, and leave the group; then the
            // system ends. (The command line does not pass these signals on as cancellation: each command handles them.)
            using var signals = CliCommon.OnStopSignal(Stop);
            await system.WhenTerminated;
            return stopped ? 0 : 1;
        });
        return command;
    }

    /// <summary>
    /// <c>mirror-maker status</c>: where a mirror stands, read from both clusters with the mirror's own two files: per
    /// source partition the source's end offset, the offset mirrored and committed, the lag, and the target's end
    /// offset; and the age of the newest mirrored heartbeat.
    /// </summary>
    private static Command CreateStatus()
    {
        var consumerConfig = new Option<string>("--consumer.config") { Description = "The mirror's consumer properties file (source cluster and group.id)", Required = true };
        var producerConfig = new Option<string>("--producer.config") { Description = "The mirror's producer properties file (target cluster)", Required = true };
        var include = new Option<string?>("--include", "--whitelist") { Description = "Topics to show (default: every topic the mirror's policy mirrors)" };
        var exclude = new Option<string?>("--exclude", "--blacklist") { Description = "Topics not to show" };
        var policy = new Option<string?>("--replication.policy.class") { Description = "The mirror's replication policy" };
        var sourceAlias = new Option<string?>("--source.cluster.alias") { Description = "The mirror's source cluster alias" };
        var targetAlias = new Option<string?>("--target.cluster.alias") { Description = "The mirror's target cluster alias" };
        var separator = new Option<string?>("--replication.policy.separator") { Description = "The mirror's separator" };
        var status = new Command("status", "Show how far a mirror has copied each source partition (source end, mirrored, lag, target end) and its newest heartbeat's age.")
            { consumerConfig, producerConfig, include, exclude, policy, sourceAlias, targetAlias, separator };
        status.SetAction(async (parse, _) =>
        {
            MirrorMakerSettings settings;
            try
            {
                settings = MirrorMakerSettings.Load(new MirrorMakerOptions
                {
                    ConsumerConfig = parse.GetValue(consumerConfig), ProducerConfig = parse.GetValue(producerConfig),
                    Include = parse.GetValue(include) ?? ".*", Exclude = parse.GetValue(exclude), ReplicationPolicyClass = parse.GetValue(policy),
                    SourceClusterAlias = parse.GetValue(sourceAlias), TargetClusterAlias = parse.GetValue(targetAlias), ReplicationPolicySeparator = parse.GetValue(separator),
                });
            }
            catch (MirrorMakerConfigException e)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return 2;
            }
            MirrorStatus.Report report;
            try
            {
                report = await MirrorStatus.ReadAsync(settings, TimeSpan.FromSeconds(30));
            }
            catch (Exception e) when (e is KafkaException or TimeoutException)
            {
                await Console.Error.WriteLineAsync($"error: reading the mirror's status failed: {e.Message}");
                return 1;
            }
            Console.WriteLine($"{"TOPIC",-30} {"PARTITION",9} {"SOURCE-END",12} {"MIRRORED",12} {"LAG",10}  {"TARGET-TOPIC",-30} {"TARGET-END",12}");
            foreach (var p in report.Partitions)
                Console.WriteLine($"{p.Source.Topic,-30} {p.Source.Partition,9} {p.SourceEnd,12} {p.Mirrored?.ToString() ?? "-",12} {p.Lag,10}  {p.TargetTopic,-30} {p.TargetEnd?.ToString() ?? "-",12}");
            Console.WriteLine($"total lag: {report.Partitions.Sum(p => p.Lag)} records in group {settings.GroupId}");
            Console.WriteLine(report.HeartbeatAge is { } age
                ? $"newest heartbeat on the target ({report.HeartbeatsTopic}): {age.TotalSeconds:F1} s old"
                : $"no heartbeat on the target yet ({report.HeartbeatsTopic})");
            return 0;
        });
        return status;
    }
}
