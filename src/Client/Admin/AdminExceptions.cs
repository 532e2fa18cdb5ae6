namespace AkkaBroker.Client.Admin;

// As in Confluent.Kafka, a request about several things fails as a whole with Local_Partial, and Results says what
// happened to each of them: the ones that succeeded did take effect.

/// <summary>Some topics were not created; <see cref="Results"/> has each topic's outcome.</summary>
public sealed class CreateTopicsException(List<CreateTopicReport> results)
    : KafkaException(AdminErrors.Partial("creating topics", results.Select(r => (r.Topic, r.Error))))
{
    /// <summary>Each topic's outcome, in the order given.</summary>
    public List<CreateTopicReport> Results { get; } = results;
}

/// <summary>Some topics were not deleted; <see cref="Results"/> has each topic's outcome.</summary>
public sealed class DeleteTopicsException(List<DeleteTopicReport> results)
    : KafkaException(AdminErrors.Partial("deleting topics", results.Select(r => (r.Topic, r.Error))))
{
    /// <summary>Each topic's outcome, in the order given.</summary>
    public List<DeleteTopicReport> Results { get; } = results;
}

/// <summary>Some topics did not get their partitions; <see cref="Results"/> has each topic's outcome.</summary>
public sealed class CreatePartitionsException(List<CreatePartitionsReport> results)
    : KafkaException(AdminErrors.Partial("creating partitions", results.Select(r => (r.Topic, r.Error))))
{
    /// <summary>Each topic's outcome, in the order given.</summary>
    public List<CreatePartitionsReport> Results { get; } = results;
}

/// <summary>Some resources could not be described; <see cref="Results"/> has each resource's configs or error.</summary>
public sealed class DescribeConfigsException(List<DescribeConfigsReport> results)
    : KafkaException(AdminErrors.Partial("describing configs", results.Select(r => (r.ConfigResource.ToString(), r.Error))))
{
    /// <summary>Each resource's outcome, in the order given.</summary>
    public List<DescribeConfigsReport> Results { get; } = results;
}

/// <summary>Some resources' configs were not altered; <see cref="Results"/> has each resource's outcome.</summary>
public sealed class IncrementalAlterConfigsException(List<IncrementalAlterConfigsReport> results)
    : KafkaException(AdminErrors.Partial("altering configs", results.Select(r => (r.ConfigResource.ToString(), r.Error))))
{
    /// <summary>Each resource's outcome.</summary>
    public List<IncrementalAlterConfigsReport> Results { get; } = results;
}

/// <summary>Some groups were not deleted; <see cref="Results"/> has each group's outcome.</summary>
public sealed class DeleteGroupsException(List<DeleteGroupReport> results)
    : KafkaException(AdminErrors.Partial("deleting groups", results.Select(r => (r.Group, r.Error))))
{
    /// <summary>Each group's outcome, in the order given.</summary>
    public List<DeleteGroupReport> Results { get; } = results;
}

/// <summary>Some partitions' records were not deleted; <see cref="Results"/> has each partition's outcome.</summary>
public sealed class DeleteRecordsException(List<DeleteRecordsReport> results)
    : KafkaException(AdminErrors.Partial("deleting records", results.Select(r => ($"{r.Topic} [{r.Partition}]", r.Error))))
{
    /// <summary>Each partition's outcome, in the order given.</summary>
    public List<DeleteRecordsReport> Results { get; } = results;
}

/// <summary>Some groups' offsets were not set; <see cref="Results"/> has each group's outcome.</summary>
public sealed class AlterConsumerGroupOffsetsException(List<AlterConsumerGroupOffsetsReport> results)
    : KafkaException(AdminErrors.Partial("altering group offsets", results.Select(r => (r.Group, r.Error))))
{
    /// <summary>Each group's outcome, in the order given.</summary>
    public List<AlterConsumerGroupOffsetsReport> Results { get; } = results;
}

/// <summary>Some groups' offsets could not be read; <see cref="Results"/> has each group's outcome.</summary>
public sealed class ListConsumerGroupOffsetsException(List<ListConsumerGroupOffsetsReport> results)
    : KafkaException(AdminErrors.Partial("listing group offsets", results.Select(r => (r.Group, r.Error))))
{
    /// <summary>Each group's outcome, in the order given.</summary>
    public List<ListConsumerGroupOffsetsReport> Results { get; } = results;
}

/// <summary>Some partitions' offsets could not be found; <see cref="Result"/> has each partition's offset or error.</summary>
public sealed class ListOffsetsException(ListOffsetsReport result)
    : KafkaException(AdminErrors.Partial("listing offsets", result.ResultInfos.Select(i => (i.TopicPartitionOffsetError.TopicPartition.ToString(), i.TopicPartitionOffsetError.Error))))
{
    /// <summary>Each partition's outcome, in the order given.</summary>
    public ListOffsetsReport Result { get; } = result;
}

/// <summary>Some partitions got no new leader; <see cref="Results"/> has each partition's outcome.</summary>
public sealed class ElectLeadersException(ElectLeadersReport report)
    : KafkaException(AdminErrors.Partial("electing leaders", report.TopicPartitions.Select(p => (p.TopicPartition.ToString(), p.Error))))
{
    /// <summary>Each partition's outcome.</summary>
    public ElectLeadersReport Results { get; } = report;
}

/// <summary>Some of a group's offsets were not deleted; <see cref="Result"/> has each partition's outcome.</summary>
public sealed class DeleteConsumerGroupOffsetsException(DeleteConsumerGroupOffsetsReport result)
    : KafkaException(AdminErrors.Partial("deleting group offsets",
        result.Partitions.Count == 0 ? [(result.Group, result.Error)] : result.Partitions.Select(p => (p.TopicPartition.ToString(), p.Error))))
{
    /// <summary>Each partition's outcome.</summary>
    public DeleteConsumerGroupOffsetsReport Result { get; } = result;
}

/// <summary>Some partitions' reassignments were refused; <see cref="Results"/> has each partition's outcome.</summary>
public sealed class AlterPartitionReassignmentsException(List<TopicPartitionError> results)
    : KafkaException(AdminErrors.Partial("reassigning partitions", results.Select(p => (p.TopicPartition.ToString(), p.Error))))
{
    /// <summary>Each partition's outcome, in the order given.</summary>
    public List<TopicPartitionError> Results { get; } = results;
}

/// <summary>Some groups could not be described; <see cref="Results"/> has each group's description or error.</summary>
public sealed class DescribeConsumerGroupsException(DescribeConsumerGroupsReport results)
    : KafkaException(AdminErrors.Partial("describing groups", results.ConsumerGroupDescriptions.Select(d => (d.GroupId, d.Error))))
{
    /// <summary>Each group's outcome, in the order given.</summary>
    public DescribeConsumerGroupsReport Results { get; } = results;
}

internal static class AdminErrors
{
    /// <summary>Local_Partial, naming each thing that failed and why, so the message alone says what to fix.</summary>
    public static Error Partial(string doing, IEnumerable<(string Name, Error Error)> outcomes) =>
        new(ErrorCode.Local_Partial,
            $"An error occurred {doing}: {string.Join("; ", outcomes.Where(o => o.Error.IsError).Select(o => $"{o.Name}: {o.Error}"))}.");
}
