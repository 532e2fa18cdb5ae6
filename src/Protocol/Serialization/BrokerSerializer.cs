using Akka.Actor;
using Akka.Serialization;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Protocol.Serialization;

/// <summary>
/// The one serializer for everything that crosses the wire between client and broker or enters the journal: a
/// compact little-endian binary layout per message. Manifests are frozen: a message that changes shape gets a new
/// manifest and the old reader stays, so journals written by older versions keep recovering.
/// </summary>
public sealed class BrokerSerializer : SerializerWithStringManifest
{
    /// <summary>The identifier bound in HOCON; never change it, journals store it.</summary>
    public const int Id = 1971;

    private sealed record Codec(string Manifest, Type Type, Action<WireWriter, object> Write, Func<WireReader, object> Read);

    private static readonly Codec[] Codecs =
    [
        // Client protocol.
        C<ProduceRequest>("PRq", (w, m) => { w.TopicPartition(m.TopicPartition); w.Short(m.Acks); w.Int(m.TimeoutMs); w.Bytes(m.Batch); },
            r => new ProduceRequest(r.TopicPartition(), r.Short(), r.Int(), r.Bytes())),
        C<ProduceResponse>("PRs", (w, m) => { w.TopicPartition(m.TopicPartition); w.Short((short)m.Error); w.String(m.ErrorMessage); w.Long(m.BaseOffset); w.Long(m.LogAppendTime); w.Long(m.LogStartOffset); },
            r => new ProduceResponse(r.TopicPartition(), (ErrorCode)r.Short(), r.NullableString(), r.Long(), r.Long(), r.Long())),
        C<FetchRequest>("FRq", (w, m) => { w.TopicPartition(m.TopicPartition); w.Long(m.FetchOffset); w.Int(m.MaxBytes); w.Int(m.MinBytes); w.Int(m.MaxWaitMs); },
            r => new FetchRequest(r.TopicPartition(), r.Long(), r.Int(), r.Int(), r.Int())),
        C<FetchResponse>("FRs", (w, m) => { w.TopicPartition(m.TopicPartition); w.Short((short)m.Error); w.String(m.ErrorMessage); w.Long(m.HighWatermark); w.Long(m.LogStartOffset); w.Bytes(m.Records); },
            r => new FetchResponse(r.TopicPartition(), (ErrorCode)r.Short(), r.NullableString(), r.Long(), r.Long(), r.Bytes())),
        C<ListOffsetsRequest>("LORq", (w, m) => { w.TopicPartition(m.TopicPartition); w.Long(m.Timestamp); },
            r => new ListOffsetsRequest(r.TopicPartition(), r.Long())),
        C<ListOffsetsResponse>("LORs", (w, m) => { w.TopicPartition(m.TopicPartition); w.Short((short)m.Error); w.String(m.ErrorMessage); w.Long(m.Offset); w.Long(m.Timestamp); },
            r => new ListOffsetsResponse(r.TopicPartition(), (ErrorCode)r.Short(), r.NullableString(), r.Long(), r.Long())),
        C<MetadataRequest>("MRq", (w, m) => { w.Bool(m.Topics != null); if (m.Topics != null) w.List(m.Topics, (ww, t) => ww.String(t)); w.Bool(m.AllowAutoTopicCreation); },
            r => new MetadataRequest(r.Bool() ? r.List(rr => rr.String()) : null, r.Bool())),
        C<MetadataResponse>("MRs", (w, m) => { w.List(m.Brokers, WriteBroker); w.Int(m.ControllerId); w.List(m.Topics, WriteTopicMetadata); },
            r => new MetadataResponse(r.List(ReadBroker), r.Int(), r.List(ReadTopicMetadata))),
        C<CreateTopicRequest>("CTRq", (w, m) => { w.String(m.Name); w.Int(m.NumPartitions); w.Short(m.ReplicationFactor); w.StringMap(m.Configs); w.Bool(m.ValidateOnly); },
            r => new CreateTopicRequest(r.String(), r.Int(), r.Short(), r.StringMap(), r.Bool())),
        C<DeleteTopicRequest>("DTRq", (w, m) => w.String(m.Name), r => new DeleteTopicRequest(r.String())),
        C<CreatePartitionsRequest>("CPRq", (w, m) => { w.String(m.Name); w.Int(m.TotalCount); },
            r => new CreatePartitionsRequest(r.String(), r.Int())),
        C<DescribeConfigsRequest>("DCRq", (w, m) => w.String(m.Name), r => new DescribeConfigsRequest(r.String())),
        C<AlterConfigsRequest>("ACRq", (w, m) => { w.String(m.Name); w.StringMap(m.Set); w.List(m.Delete, (ww, k) => ww.String(k)); },
            r => new AlterConfigsRequest(r.String(), r.StringMap(), r.List(rr => rr.String()))),
        C<TopicOperationResponse>("TORs", (w, m) => { w.String(m.Name); w.Short((short)m.Error); w.String(m.ErrorMessage); },
            r => new TopicOperationResponse(r.String(), (ErrorCode)r.Short(), r.NullableString())),
        C<DescribeConfigsResponse>("DCRs", (w, m) => { w.String(m.Name); w.Short((short)m.Error); w.String(m.ErrorMessage); w.List(m.Entries, (ww, e) => { ww.String(e.Name); ww.String(e.Value); ww.Bool(e.IsDefault); }); },
            r => new DescribeConfigsResponse(r.String(), (ErrorCode)r.Short(), r.NullableString(), r.List(rr => new ConfigEntry(rr.String(), rr.String(), rr.Bool())))),
        C<InitProducerIdRequest>("IPRq", (_, _) => { }, _ => new InitProducerIdRequest()),
        C<InitProducerIdResponse>("IPRs", (w, m) => { w.Short((short)m.Error); w.String(m.ErrorMessage); w.Long(m.ProducerId); w.Short(m.ProducerEpoch); },
            r => new InitProducerIdResponse((ErrorCode)r.Short(), r.NullableString(), r.Long(), r.Short())),

        // Controller journal.
        C<TopicCreated>("cTC", (w, m) => WriteTopicState(w, m.Topic), r => new TopicCreated(ReadTopicState(r))),
        C<TopicDeleted>("cTD", (w, m) => w.String(m.Name), r => new TopicDeleted(r.String())),
        C<PartitionsAdded>("cPA", (w, m) => { w.String(m.Name); w.List(m.NewPartitions, WriteAssignment); },
            r => new PartitionsAdded(r.String(), r.List(ReadAssignment))),
        C<TopicConfigsChanged>("cTCC", (w, m) => { w.String(m.Name); w.StringMap(m.ConfigOverrides); },
            r => new TopicConfigsChanged(r.String(), r.StringMap())),
        C<ProducerIdsAllocated>("cPIA", (w, m) => w.Long(m.NextProducerId), r => new ProducerIdsAllocated(r.Long())),
        C<ControllerSnapshot>("cSN", (w, m) => { w.List(m.Topics, WriteTopicState); w.Long(m.NextProducerId); },
            r => new ControllerSnapshot(r.List(ReadTopicState), r.Long())),

        // Partition replicas: controller commands and journal.
        C<EnsurePartition>("pEP", (w, m) => { w.TopicPartition(m.TopicPartition); w.StringMap(m.Config); },
            r => new EnsurePartition(r.TopicPartition(), r.StringMap())),
        C<DeletePartition>("pDP", (w, m) => w.TopicPartition(m.TopicPartition), r => new DeletePartition(r.TopicPartition())),
        C<PartitionStateAck>("pACK", (w, m) => { w.TopicPartition(m.TopicPartition); w.Short((short)m.Error); w.String(m.ErrorMessage); },
            r => new PartitionStateAck(r.TopicPartition(), (ErrorCode)r.Short(), r.NullableString())),
        C<PartitionConfigured>("pCF", (w, m) => w.StringMap(m.Config), r => new PartitionConfigured(r.StringMap())),
        C<BatchAppended>("pBA", (w, m) => w.Bytes(m.Batch), r => new BatchAppended(r.Bytes())),
        C<PartitionDeleted>("pDL", (_, _) => { }, _ => new PartitionDeleted()),
        C<PartitionSnapshot>("pSN", WritePartitionSnapshot, ReadPartitionSnapshot),
    ];

    private static readonly Dictionary<Type, Codec> ByType = Codecs.ToDictionary(c => c.Type);
    private static readonly Dictionary<string, Codec> ByManifest = Codecs.ToDictionary(c => c.Manifest);

    public BrokerSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    public override int Identifier => Id;

    /// <summary>Every type this serializer handles, for the HOCON bindings and for round-trip tests.</summary>
    public static IEnumerable<Type> SupportedTypes => Codecs.Select(c => c.Type);

    public override string Manifest(object o) => CodecFor(o).Manifest;

    public override byte[] ToBinary(object obj)
    {
        var codec = CodecFor(obj);
        // The messages that carry record batches are sized exactly, so they are written with one allocation and no copy.
        var capacity = obj switch
        {
            ProduceRequest p => WireWriter.SizeOf(p.TopicPartition.Topic) + 4 + 2 + 4 + 4 + p.Batch.Length,
            FetchResponse f => WireWriter.SizeOf(f.TopicPartition.Topic) + 4 + 2 + WireWriter.SizeOf(f.ErrorMessage) + 8 + 8 + 4 + f.Records.Length,
            BatchAppended b => 4 + b.Batch.Length,
            _ => 256,
        };
        var w = new WireWriter(capacity);
        codec.Write(w, obj);
        return w.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!ByManifest.TryGetValue(manifest, out var codec))
            throw new System.Runtime.Serialization.SerializationException($"BrokerSerializer does not know manifest '{manifest}'");
        var r = new WireReader(bytes);
        var message = codec.Read(r);
        r.EnsureEnd();
        return message;
    }

    private static Codec CodecFor(object o) =>
        ByType.TryGetValue(o.GetType(), out var c)
            ? c
            : throw new ArgumentException($"BrokerSerializer cannot serialize {o.GetType().FullName}; add a codec with a new manifest");

    private static Codec C<T>(string manifest, Action<WireWriter, T> write, Func<WireReader, T> read) where T : notnull =>
        new(manifest, typeof(T), (w, o) => write(w, (T)o), r => read(r));

    private static void WriteBroker(WireWriter w, BrokerInfo b) { w.Int(b.BrokerId); w.String(b.Host); w.Int(b.Port); }
    private static BrokerInfo ReadBroker(WireReader r) => new(r.Int(), r.String(), r.Int());

    private static void WriteTopicMetadata(WireWriter w, TopicMetadata t)
    {
        w.String(t.Name);
        w.Short((short)t.Error);
        w.String(t.ErrorMessage);
        w.List(t.Partitions, (ww, p) =>
        {
            ww.Int(p.Partition);
            ww.Int(p.Leader);
            ww.List(p.Replicas, (www, i) => www.Int(i));
            ww.List(p.Isr, (www, i) => www.Int(i));
        });
    }

    private static TopicMetadata ReadTopicMetadata(WireReader r) =>
        new(r.String(), (ErrorCode)r.Short(), r.NullableString(),
            r.List(rr => new PartitionMetadata(rr.Int(), rr.Int(), rr.List(x => x.Int()), rr.List(x => x.Int()))));

    private static void WriteAssignment(WireWriter w, PartitionAssignment a)
    {
        w.Int(a.Partition);
        w.List(a.Replicas, (ww, i) => ww.Int(i));
    }

    private static PartitionAssignment ReadAssignment(WireReader r) => new(r.Int(), r.List(x => x.Int()));

    private static void WriteTopicState(WireWriter w, TopicState t)
    {
        w.String(t.Name);
        w.Short(t.ReplicationFactor);
        w.StringMap(t.ConfigOverrides);
        w.List(t.Partitions, WriteAssignment);
    }

    private static TopicState ReadTopicState(WireReader r) => new(r.String(), r.Short(), r.StringMap(), r.List(ReadAssignment));

    private static void WritePartitionSnapshot(WireWriter w, PartitionSnapshot s)
    {
        w.StringMap(s.Config);
        w.Long(s.LogStartOffset);
        w.Long(s.LogEndOffset);
        w.Long(s.LogBytes);
        w.Long(s.MaxTimestamp);
        w.Long(s.BytesSinceIndexEntry);
        w.List(s.Index, (ww, e) => { ww.Long(e.BaseOffset); ww.Long(e.SequenceNr); ww.Long(e.Position); ww.Long(e.MaxTimestamp); });
        w.List(s.Producers, (ww, p) =>
        {
            ww.Long(p.ProducerId);
            ww.Short(p.Epoch);
            ww.Long(p.LastTimestamp);
            ww.List(p.RecentBatches, (www, b) => { www.Int(b.FirstSequence); www.Int(b.LastSequence); www.Long(b.BaseOffset); www.Long(b.LogAppendTime); });
        });
        w.Bool(s.Deleted);
    }

    private static PartitionSnapshot ReadPartitionSnapshot(WireReader r) =>
        new(r.StringMap(), r.Long(), r.Long(), r.Long(), r.Long(), r.Long(),
            r.List(rr => new OffsetIndexEntry(rr.Long(), rr.Long(), rr.Long(), rr.Long())),
            r.List(rr => new ProducerStateEntry(rr.Long(), rr.Short(), rr.Long(),
                rr.List(x => new ProducerBatchMetadata(x.Int(), x.Int(), x.Long(), x.Long())))),
            r.Bool());
}
