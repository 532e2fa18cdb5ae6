using System.Globalization;
using AkkaBroker.Connect;
using AkkaBroker.Connect.Data;

namespace ConnectPlugin.Sample;

/// <summary>The task of <see cref="CountingSourceConnector"/>: its numbered records, then idle polls.</summary>
public sealed class CountingSourceTask : SourceTask
{
    private const string SequenceField = "seq";
    private static readonly TimeSpan IdleWait = TimeSpan.FromMilliseconds(100);

    private IReadOnlyDictionary<string, object?> _partition = new Dictionary<string, object?>();
    private string _topic = "";
    private string _task = "";
    private long _count;
    private long _next;

    /// <inheritdoc />
    public override void Start(IReadOnlyDictionary<string, string> config)
    {
        _topic = config[CountingSourceConnector.TopicConfig];
        _count = long.Parse(config[CountingSourceConnector.CountConfig], CultureInfo.InvariantCulture);
        _task = config[CountingSourceConnector.TaskNumberConfig];
        _partition = new Dictionary<string, object?> { ["task"] = _task };
        // Resume after the last record whose offset the worker stored.
        _next = Context.OffsetStorageReader.Offset(_partition)?[SequenceField] is long stored ? stored + 1 : 0;
    }

    /// <inheritdoc />
    public override async Task<IReadOnlyList<SourceRecord>> PollAsync(CancellationToken cancellationToken)
    {
        if (_next >= _count)
        {
            await Task.Delay(IdleWait, cancellationToken).ConfigureAwait(false);
            return [];
        }
        var records = new List<SourceRecord>();
        for (; _next < _count && records.Count < 100; _next++)
        {
            var number = _next.ToString(CultureInfo.InvariantCulture);
            records.Add(new SourceRecord(_partition, new Dictionary<string, object?> { [SequenceField] = _next }, _topic, null,
                Schema.String, number, Schema.String, $"task{_task}-record{number}"));
        }
        return records;
    }

    /// <inheritdoc />
    public override void Stop() { }
}
