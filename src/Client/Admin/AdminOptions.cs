namespace AkkaBroker.Client.Admin;

// Confluent.Kafka's per-call admin options, with the settings this client honours. A setting it would ignore is left
// out, so code that sets one fails to compile rather than silently doing something else.

/// <summary>Options of <see cref="IAdminClient.CreateTopicsAsync"/>.</summary>
public sealed class CreateTopicsOptions
{
    /// <summary>Check the request (name, partitions, replication factor, configs) without creating anything.</summary>
    public bool ValidateOnly { get; set; }
    /// <summary>How long to wait for each answer; null for <c>request.timeout.ms</c>.</summary>
    public TimeSpan? RequestTimeout { get; set; }
}

/// <summary>Options of <see cref="IAdminClient.DeleteTopicsAsync"/>.</summary>
public sealed class DeleteTopicsOptions
{
    /// <summary>How long to wait for each answer; null for <c>request.timeout.ms</c>.</summary>
    public TimeSpan? RequestTimeout { get; set; }
}

/// <summary>Options of <see cref="IAdminClient.CreatePartitionsAsync"/>.</summary>
public sealed class CreatePartitionsOptions
{
    /// <summary>How long to wait for each answer; null for <c>request.timeout.ms</c>.</summary>
    public TimeSpan? RequestTimeout { get; set; }
}

/// <summary>Options of <see cref="IAdminClient.DescribeConfigsAsync"/>.</summary>
public sealed class DescribeConfigsOptions
{
    /// <summary>How long to wait for each answer; null for <c>request.timeout.ms</c>.</summary>
    public TimeSpan? RequestTimeout { get; set; }
}

/// <summary>Options of <see cref="IAdminClient.IncrementalAlterConfigsAsync"/>.</summary>
public sealed class IncrementalAlterConfigsOptions
{
    /// <summary>How long to wait for each answer; null for <c>request.timeout.ms</c>.</summary>
    public TimeSpan? RequestTimeout { get; set; }
}

/// <summary>Options of <see cref="IAdminClient.DeleteRecordsAsync"/>.</summary>
public sealed class DeleteRecordsOptions
{
    /// <summary>How long to wait for each answer; null for <c>request.timeout.ms</c>.</summary>
    public TimeSpan? RequestTimeout { get; set; }
}

/// <summary>Options of <see cref="IAdminClient.ListConsumerGroupsAsync"/>.</summary>
public sealed class ListConsumerGroupsOptions
{
    /// <summary>How long to wait for each answer; null for <c>request.timeout.ms</c>.</summary>
    public TimeSpan? RequestTimeout { get; set; }
    /// <summary>Only groups in these states; null or empty for all.</summary>
    public IEnumerable<ConsumerGroupState>? MatchStates { get; set; }
    /// <summary>Only groups of these types; null or empty for all (every group here is <see cref="ConsumerGroupType.Classic"/>).</summary>
    public IEnumerable<ConsumerGroupType>? MatchTypes { get; set; }
}

/// <summary>Options of <see cref="IAdminClient.DescribeConsumerGroupsAsync"/>.</summary>
public sealed class DescribeConsumerGroupsOptions
{
    /// <summary>How long to wait for each answer; null for <c>request.timeout.ms</c>.</summary>
    public TimeSpan? RequestTimeout { get; set; }
}

/// <summary>Options of <see cref="IAdminClient.DeleteGroupsAsync"/>.</summary>
public sealed class DeleteGroupsOptions
{
    /// <summary>How long to wait for each answer; null for <c>request.timeout.ms</c>.</summary>
    public TimeSpan? RequestTimeout { get; set; }
}

/// <summary>Options of <see cref="IAdminClient.AlterConsumerGroupOffsetsAsync"/>.</summary>
public sealed class AlterConsumerGroupOffsetsOptions
{
    /// <summary>How long to wait for each answer; null for <c>request.timeout.ms</c>.</summary>
    public TimeSpan? RequestTimeout { get; set; }
}

/// <summary>Options of <see cref="IAdminClient.ListConsumerGroupOffsetsAsync"/>.</summary>
public sealed class ListConsumerGroupOffsetsOptions
{
    /// <summary>How long to wait for each answer; null for <c>request.timeout.ms</c>.</summary>
    public TimeSpan? RequestTimeout { get; set; }
}

/// <summary>Options of <see cref="IAdminClient.DescribeClusterAsync"/>.</summary>
public sealed class DescribeClusterOptions
{
    /// <summary>How long to wait for the answer; null for <c>request.timeout.ms</c>.</summary>
    public TimeSpan? RequestTimeout { get; set; }
}

/// <summary>Options of <see cref="IAdminClient.ListOffsetsAsync"/>.</summary>
public sealed class ListOffsetsOptions
{
    /// <summary>How long to wait for each answer; null for <c>request.timeout.ms</c>.</summary>
    public TimeSpan? RequestTimeout { get; set; }
}

/// <summary>Options of <see cref="IAdminClient.ElectLeadersAsync"/>.</summary>
public sealed class ElectLeadersOptions
{
    /// <summary>How long to wait for the answer; null for <c>request.timeout.ms</c>.</summary>
    public TimeSpan? RequestTimeout { get; set; }
}

/// <summary>Options of <see cref="IAdminClient.DeleteConsumerGroupOffsetsAsync"/>.</summary>
public sealed class DeleteConsumerGroupOffsetsOptions
{
    /// <summary>How long to wait for the answer; null for <c>request.timeout.ms</c>.</summary>
    public TimeSpan? RequestTimeout { get; set; }
}
