using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using static AkkaBroker.Connect.Runtime.Herder;

namespace AkkaBroker.Connect.Runtime;

/// <summary>
/// The REST API's offsets operations, whatever the herder (Kafka's KIP-875): a source connector's offsets are its
/// stored source offsets; a sink connector's are the committed offsets of its group <c>connect-{name}</c>, shown as
/// <c>{"kafka_topic", "kafka_partition"}</c> → <c>{"kafka_offset"}</c>. Changes are allowed only while the connector
/// is STOPPED (the herder checks), so no task races them.
/// </summary>
public static class ConnectorOffsetsAdmin
{
    /// <summary>The refusal of a change while the connector runs, in Kafka's words.</summary>
    public static HerderError NotStopped(string name) =>
        new(400, $"Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint");

    /// <summary>The offsets of <paramref name="connector"/>.</summary>
    public static async Task<object> ReadAsync(Worker worker, ConnectorConfig connector)
    {
        if (connector.Plugin.Kind == PluginKind.Source) return new ConnectorOffsets(worker.Offsets.List(connector.ConnectorName));
        using var admin = worker.CreateAdmin();
        try
        {
            var group = await admin.DescribeConsumerGroupAsync(WorkerSinkTask.GroupId(connector.ConnectorName)).ConfigureAwait(false);
            return new ConnectorOffsets(group.CommittedOffsets.Select(SinkOffset).ToList());
        }
        catch (KafkaException ex) when (ex.Error.Code is AkkaBroker.Client.ErrorCode.GroupIdNotFound)
        {
            return new ConnectorOffsets([]);
        }
    }

    private static StoredSourceOffset SinkOffset(TopicPartitionOffset o) => new(
        new Dictionary<string, object?> { ["kafka_topic"] = o.Topic, ["kafka_partition"] = (long)o.Partition },
        new Dictionary<string, object?> { ["kafka_offset"] = o.Offset.Value });

    /// <summary>Alters (<paramref name="offsets"/>) or, with <paramref name="reset"/>, removes the offsets of a stopped connector.</summary>
    public static async Task<object> ChangeAsync(Worker worker, ConnectorConfig connector,
        IReadOnlyList<(IReadOnlyDictionary<string, object?> Partition, IReadOnlyDictionary<string, object?>? Offset)>? offsets, bool reset)
    {
        var name = connector.ConnectorName;
        if (connector.Plugin.Kind == PluginKind.Source)
        {
            await worker.Offsets.ReadToEndAsync(CancellationToken.None).ConfigureAwait(false);
            var changes = reset ? worker.Offsets.List(name).Select(o => (o.Partition, (IReadOnlyDictionary<string, object?>?)null)).ToList() : offsets!.ToList();
            await worker.Offsets.SetAsync(name, changes, CancellationToken.None).ConfigureAwait(false);
        }
        else
        {
            using var admin = worker.CreateAdmin();
            var group = WorkerSinkTask.GroupId(name);
            if (reset)
            {
                try
                {
                    await admin.DeleteGroupsAsync([group]).ConfigureAwait(false);
                }
                catch (DeleteGroupsException ex) when (ex.Results.All(r => r.Error.Code is AkkaBroker.Client.ErrorCode.GroupIdNotFound))
                {
                }
            }
            else
            {
                var parsed = new List<TopicPartitionOffset>();
                foreach (var (partition, offset) in offsets!)
                {
                    if (partition.GetValueOrDefault("kafka_topic") is not string topic || partition.GetValueOrDefault("kafka_partition") is not long p)
                        return new HerderError(400, "A sink connector's partition must be {\"kafka_topic\": \"TOPIC\", \"kafka_partition\": N}.");
                    if (offset == null)
                        return new HerderError(400, "Removing one partition's offset of a sink connector is not supported; reset all with DELETE /connectors/{name}/offsets.");
                    if (offset.GetValueOrDefault("kafka_offset") is not long o || o < 0)
                        return new HerderError(400, "A sink connector's offset must be {\"kafka_offset\": N} with N >= 0.");
                    parsed.Add(new TopicPartitionOffset(topic, (int)p, new Offset(o)));
                }
                await admin.AlterConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitionOffsets(group, parsed)]).ConfigureAwait(false);
            }
        }
        return new OffsetsMessage(reset ? "The offsets for this connector have been reset successfully" : "The offsets for this connector have been altered successfully");
    }
}
