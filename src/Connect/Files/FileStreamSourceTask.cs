using System.Text;
using AkkaBroker.Connect.Data;

namespace AkkaBroker.Connect.Files;

/// <summary>
/// Reads a file line by line from the stored byte position (Kafka's <c>FileStreamSourceTask</c>). A line is emitted only
/// once its newline is read, so a line being written is not cut; "\n" and "\r\n" both end a line. Waits for the file
/// to appear and to grow.
/// </summary>
public sealed class FileStreamSourceTask : SourceTask
{
    /// <summary>The source partition key: the file's name.</summary>
    public const string FilenameField = "filename";

    /// <summary>The source offset key: the byte position after the last line read.</summary>
    public const string PositionField = "position";

    private static readonly TimeSpan IdleWait = TimeSpan.FromMilliseconds(200);
    private string _file = "";
    private string _topic = "";
    private int _batchSize;
    private FileStream? _stream;
    private long _position;
    private IReadOnlyDictionary<string, object?> _partition = new Dictionary<string, object?>();
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _buffered;
    private int _bufferStart;

    /// <inheritdoc />
    public override void Start(IReadOnlyDictionary<string, string> config)
    {
        _file = config[FileStreamSourceConnector.FileConfig];
        _topic = config[FileStreamSourceConnector.TopicConfig];
        _batchSize = int.Parse(config[FileStreamSourceConnector.BatchSizeConfig], System.Globalization.CultureInfo.InvariantCulture);
        _partition = new Dictionary<string, object?> { [FilenameField] = _file };
        if (Context.OffsetStorageReader.Offset(_partition) is { } offset && offset.GetValueOrDefault(PositionField) is { } position)
            _position = position is long l ? l : throw new ConnectException($"The stored offset of {_file} has a position that is not a whole number ({position}); reset the connector's offsets.");
    }

    /// <inheritdoc />
    public override async Task<IReadOnlyList<SourceRecord>> PollAsync(CancellationToken cancellationToken)
    {
        if (_stream == null && !Open())
        {
            await Task.Delay(IdleWait, cancellationToken).ConfigureAwait(false);
            return [];
        }
        var records = new List<SourceRecord>();
        while (records.Count < _batchSize)
        {
            if (!NextLine(out var line))
            {
                var read = await FillAsync(cancellationToken).ConfigureAwait(false);
                if (read == 0) break;
                continue;
            }
            records.Add(new SourceRecord(_partition, new Dictionary<string, object?> { [PositionField] = _position }, _topic, null, null, null, Schema.String, line));
        }
        if (records.Count == 0) await Task.Delay(IdleWait, cancellationToken).ConfigureAwait(false);
        return records;
    }

    private bool Open()
    {
        try
        {
            _stream = new FileStream(_file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (DirectoryNotFoundException)
        {
            return false;
        }
        if (_position > _stream.Length)
            throw new ConnectException($"{_file} is shorter ({_stream.Length} bytes) than the stored position ({_position}): it was truncated or replaced. Reset the connector's offsets (PUT /connectors/{{name}}/stop, then DELETE /connectors/{{name}}/offsets) to read it from the start.");
        _stream.Seek(_position, SeekOrigin.Begin);
        return true;
    }

    /// <summary>Reads more of the file behind what is buffered; 0 at the end of the file.</summary>
    private async Task<int> FillAsync(CancellationToken cancellationToken)
    {
        if (_bufferStart > 0)
        {
            Buffer.BlockCopy(_buffer, _bufferStart, _buffer, 0, _buffered - _bufferStart);
            _buffered -= _bufferStart;
            _bufferStart = 0;
        }
        if (_buffered == _buffer.Length)
            throw new ConnectException($"{_file} has a line longer than {_buffer.Length} bytes at byte {_position}; this connector reads text files of lines.");
        var read = await _stream!.ReadAsync(_buffer.AsMemory(_buffered), cancellationToken).ConfigureAwait(false);
        _buffered += read;
        return read;
    }

    private bool NextLine(out string line)
    {
        var span = _buffer.AsSpan(_bufferStart, _buffered - _bufferStart);
        var newline = span.IndexOf((byte)'\n');
        if (newline < 0)
        {
            line = "";
            return false;
        }
        var length = newline > 0 && span[newline - 1] == '\r' ? newline - 1 : newline;
        line = Encoding.UTF8.GetString(span[..length]);
        _bufferStart += newline + 1;
        _position += newline + 1;
        return true;
    }

    /// <inheritdoc />
    public override void Stop()
    {
        _stream?.Dispose();
        _stream = null;
    }
}
