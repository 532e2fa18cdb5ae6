using System.Text;
using AkkaBroker.Client;

namespace AkkaBroker.Connect.Runtime;

/// <summary>
/// Writes records a sink task could not process, as consumed (original key, value and headers), to the connector's
/// dead letter queue topic (<c>errors.deadletterqueue.topic.name</c>), as Kafka's <c>DeadLetterQueueReporter</c>.
/// With <c>errors.deadletterqueue.context.headers.enable</c> each record also carries Kafka's
/// <c>__connect.errors.*</c> headers naming where it came from and why it failed. The write is awaited, so a failed
/// record is in the queue before its offset can be committed.
/// </summary>
public sealed class DeadLetterQueueReporter(IProducer<byte[]?, byte[]?> producer, string topic, bool contextHeaders, ConnectorTaskId taskId) : IErrorReporter
{
    public const string HeaderPrefix = "__connect.errors.";
    public const string TopicHeader = HeaderPrefix + "topic";
    public const string PartitionHeader = HeaderPrefix + "partition";
    public const string OffsetHeader = HeaderPrefix + "offset";
    public const string ConnectorNameHeader = HeaderPrefix + "connector.name";
    public const string TaskIdHeader = HeaderPrefix + "task.id";
    public const string StageHeader = HeaderPrefix + "stage";
    public const string ExecutingClassHeader = HeaderPrefix + "class.name";
    public const string ExceptionClassHeader = HeaderPrefix + "exception.class.name";
    public const string ExceptionMessageHeader = HeaderPrefix + "exception.message";
    public const string ExceptionStackTraceHeader = HeaderPrefix + "exception.stacktrace";

    /// <summary>The queue's topic.</summary>
    public string Topic => topic;

    /// <inheritdoc />
    public async Task ReportAsync(string stage, Type executingClass, ErrorContext context, Exception error, CancellationToken cancellationToken)
    {
        // Kafka's queue only takes records a sink consumed: a source record has no original bytes.
        if (context.Consumed is not { Message: not null } consumed) return;
        var message = consumed.Message!;
        var headers = new Headers();
        foreach (var header in message.Headers ?? []) headers.Add(header);
        if (contextHeaders)
        {
            void Add(string key, string? value) => headers.Add(new Header(key, value == null ? null : Encoding.UTF8.GetBytes(value)));
            Add(TopicHeader, consumed.Topic);
            Add(PartitionHeader, consumed.Partition.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Add(OffsetHeader, consumed.Offset.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Add(ConnectorNameHeader, taskId.Connector);
            Add(TaskIdHeader, taskId.Task.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Add(StageHeader, stage);
            Add(ExecutingClassHeader, executingClass.FullName);
            var root = error is ConnectException { InnerException: { } inner } ? inner : error;
            Add(ExceptionClassHeader, root.GetType().FullName);
            Add(ExceptionMessageHeader, root.Message);
            Add(ExceptionStackTraceHeader, root.ToString());
        }
        await producer.ProduceAsync(topic, new Message<byte[]?, byte[]?>
        {
            Key = message.Key,
            Value = message.Value,
            Timestamp = message.Timestamp,
            Headers = headers,
        }, cancellationToken).ConfigureAwait(false);
    }
}
