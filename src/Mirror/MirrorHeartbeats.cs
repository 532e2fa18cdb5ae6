using System.Buffers.Binary;
using System.Text;
using Akka.Actor;
using Akka.Event;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Protocol;

namespace AkkaBroker.Mirror;

/// <summary>
/// Writes a heartbeat to the source cluster's heartbeats topic every <c>emit.heartbeats.interval.seconds</c> (MirrorMaker
/// 2's heartbeats): the streams mirror it like any record, to <c>{source alias}.heartbeats</c> on the target. The
/// newest heartbeat there says the whole path (source, mirror, target) was alive when it was written, and its age is how
/// far behind the target is (<c>akkabroker.mirror.heartbeat_age</c>, and <c>mirror-maker status</c>).
/// </summary>
public sealed class MirrorHeartbeats : ReceiveActor, IWithTimers
{
    public static Props Props(MirrorMakerSettings settings, TimeSpan interval, IAdminClient sourceAdmin) =>
        Akka.Actor.Props.Create(() => new MirrorHeartbeats(settings, interval, sourceAdmin));

    private sealed record Beat;

    private sealed record TopicReady(Exception? Failure);

    private readonly MirrorMakerSettings _settings;
    private readonly TimeSpan _interval;
    private readonly IAdminClient _sourceAdmin;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IProducer<byte[]?, byte[]?> _producer = null!;
    private bool _warned;

    public MirrorHeartbeats(MirrorMakerSettings settings, TimeSpan interval, IAdminClient sourceAdmin)
    {
        _settings = settings;
        _interval = interval;
        _sourceAdmin = sourceAdmin;
        Receive<TopicReady>(r =>
        {
            if (r.Failure != null) _log.Warning("creating the heartbeats topic {0} on the source failed ({1}); writing heartbeats anyway", _settings.Policy.HeartbeatsTopic, r.Failure.Message);
            Timers.StartPeriodicTimer(nameof(Beat), new Beat(), _interval);
        });
        Receive<Beat>(_ =>
        {
            var heartbeat = new Heartbeat(_settings.SourceClusterName, _settings.Policy.TargetClusterAlias ?? "target", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            _producer.Produce(_settings.Policy.HeartbeatsTopic, new Message<byte[]?, byte[]?> { Key = heartbeat.Key(), Value = heartbeat.Value() }, report =>
            {
                // A source that cannot take heartbeats shows as a growing heartbeat age on the target; one warning says why.
                if (report.Error.IsError && !_warned)
                {
                    _warned = true;
                    _log.Warning("writing a heartbeat to the source failed ({0}); the target's heartbeat age grows until it works again", report.Error);
                }
                else if (!report.Error.IsError) _warned = false;
            });
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        _producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig(ClientConfig.ConnectionOf(_settings.ConsumerProperties))
        {
            ClientId = $"{_settings.GroupId}-heartbeats", LingerMs = 0,
        }).Build();
        EnsureTopicAsync().PipeTo(Self);
    }

    protected override void PostStop() => _producer.Dispose();

    private async Task<TopicReady> EnsureTopicAsync()
    {
        try
        {
            var metadata = await _sourceAdmin.GetMetadataAsync().ConfigureAwait(false);
            if (metadata.Topics.All(t => t.Topic != _settings.Policy.HeartbeatsTopic))
                await _sourceAdmin.CreateTopicsAsync([new TopicSpecification
                {
                    Name = _settings.Policy.HeartbeatsTopic, NumPartitions = 1, Configs = new() { ["cleanup.policy"] = "compact" },
                }]).ConfigureAwait(false);
            return new TopicReady(null);
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code == AkkaBroker.Client.ErrorCode.TopicAlreadyExists))
        {
            return new TopicReady(null);
        }
        catch (Exception e)
        {
            return new TopicReady(e);
        }
    }
}

/// <summary>A heartbeat: the mirror from <paramref name="SourceCluster"/> to <paramref name="TargetCluster"/> was alive at <paramref name="TimestampMs"/>.</summary>
/// <param name="SourceCluster">The source cluster's alias.</param>
/// <param name="TargetCluster">The target cluster's alias.</param>
/// <param name="TimestampMs">When it was written (Unix milliseconds).</param>
public sealed record Heartbeat(string SourceCluster, string TargetCluster, long TimestampMs)
{
    /// <summary>One key per mirror path, so the compacted topic keeps each path's newest heartbeat.</summary>
    public byte[] Key() => Encoding.UTF8.GetBytes($"{SourceCluster}->{TargetCluster}");

    /// <summary>Version 0, then the timestamp (big-endian).</summary>
    public byte[] Value()
    {
        var value = new byte[9];
        BinaryPrimitives.WriteInt64BigEndian(value.AsSpan(1), TimestampMs);
        return value;
    }

    /// <summary>The timestamp of a heartbeat's value, or null when it is not one this build writes.</summary>
    public static long? TimestampOf(byte[]? value) =>
        value is { Length: 9 } && value[0] == 0 ? BinaryPrimitives.ReadInt64BigEndian(value.AsSpan(1)) : null;
}
