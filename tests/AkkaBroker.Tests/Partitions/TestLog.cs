using System.Text;
using AkkaBroker.Actors.Partitions;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;
using Xunit;

namespace AkkaBroker.Tests.Partitions;

/// <summary>Partition logs for the pure replica parts' tests, written the way the actor writes them.</summary>
internal sealed class TestLog
{
    public static readonly TopicPartition Tp = new("orders", 0);

    private long _sequenceNr = 1;

    /// <param name="overrides">Broker settings (HOCON).</param>
    /// <param name="topicConfig">The topic's own config, e.g. segment.bytes.</param>
    public TestLog(string overrides = "", Dictionary<string, string>? topicConfig = null)
    {
        var settings = TestConfigs.Settings(overrides);
        Settings = settings.Replication;
        Broker = settings;
        Log = new PartitionLog(Tp, settings);
        Log.ApplyConfig(settings.EffectiveTopicConfig(topicConfig ?? new Dictionary<string, string>()), _sequenceNr);
    }

    public AkkaBroker.Actors.Broker.BrokerSettings Broker { get; }

    /// <summary>The sequence number of the newest journaled event.</summary>
    public long LastSequenceNr => _sequenceNr;

    public PartitionLog Log { get; }

    public AkkaBroker.Actors.Broker.ReplicationSettings Settings { get; }

    /// <summary>Every batch journaled so far, as a journal read returns them.</summary>
    public List<(long SequenceNr, byte[] Batch)> Journal { get; } = new();

    /// <summary>Appends <paramref name="records"/> records as a leader of <paramref name="leaderEpoch"/> would, journal confirmed.</summary>
    public void Append(int records, int leaderEpoch = 0)
    {
        var b = new RecordBatchBuilder(CompressionType.None);
        for (var i = 0; i < records; i++) b.Append(1000 + i, Encoding.UTF8.GetBytes($"k{i}"), new byte[10]);
        var decision = Assert.IsType<PartitionLog.AppendDecision.Accepted>(Log.PrepareAppend(b.Build(), 1, 5000, leaderEpoch));
        Log.AssignEpoch(leaderEpoch, decision.BaseOffset);
        Log.OnPersisted(decision.Batch, ++_sequenceNr);
        Journal.Add((_sequenceNr, decision.Batch));
    }

    /// <summary>Grows the log to end at <paramref name="end"/>.</summary>
    public void GrowTo(long end, int leaderEpoch = 0)
    {
        if (end > Log.DurableEnd) Append((int)(end - Log.DurableEnd), leaderEpoch);
    }

    /// <summary>Journals and applies an event a role asked to persist.</summary>
    public void Apply(object e)
    {
        switch (e)
        {
            case LogTruncated t:
                Log.ApplyTruncation(t, ++_sequenceNr);
                break;
            case LogReset r:
                Log.ApplyReset(r, ++_sequenceNr);
                break;
            case BatchAppended b:
                Log.OnPersisted(b.Batch, ++_sequenceNr);
                Journal.Add((_sequenceNr, b.Batch));
                break;
            case LogStartAdvanced start:
                Log.ApplyLogStart(start, ++_sequenceNr);
                break;
            default:
                throw new ArgumentException($"not a log event: {e}");
        }
    }
}
