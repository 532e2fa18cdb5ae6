using System.Text;
using AkkaBroker.Client;
using AkkaBroker.Connect.Data;

namespace AkkaBroker.Connect.Files;

/// <summary>
/// Appends each record's value as a line (Kafka's <c>FileStreamSinkTask</c>); null values are written as "null", as
/// Kafka does. Each put's lines are written to the file as it returns and forced to disk on flush, before the worker
/// commits the offsets they cover, so a crash re-delivers (and re-appends) at most what came after the last commit.
/// </summary>
public sealed class FileStreamSinkTask : SinkTask
{
    private FileStream? _file;
    private StreamWriter? _writer;
    private string _path = "";

    /// <inheritdoc />
    public override void Start(IReadOnlyDictionary<string, string> config)
    {
        _path = config[FileStreamSinkConnector.FileConfig];
        if (Path.GetDirectoryName(Path.GetFullPath(_path)) is { } directory) Directory.CreateDirectory(directory);
        _file = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read, 1 << 16);
        _writer = new StreamWriter(_file, new UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
        // A worker killed mid-write leaves a torn last line; the lines delivered again start on a line of their own.
        if (EndsWithoutNewline(_path)) _writer.WriteLine();
    }

    /// <inheritdoc />
    public override Task PutAsync(IReadOnlyList<SinkRecord> records, CancellationToken cancellationToken)
    {
        foreach (var record in records) _writer!.WriteLine(Text(record.Value));
        // Each batch reaches the file at once (as Kafka's sink, which writes every line through); forcing it to disk
        // waits for the flush before a commit.
        _writer!.Flush();
        return Task.CompletedTask;
    }

    private static bool EndsWithoutNewline(string path)
    {
        using var read = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (read.Length == 0) return false;
        read.Seek(-1, SeekOrigin.End);
        return read.ReadByte() != '\n';
    }

    private static string Text(object? value) => value switch
    {
        null => "null",
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        _ => value.ToString() ?? "null",
    };

    /// <inheritdoc />
    public override Task FlushAsync(IReadOnlyDictionary<TopicPartition, long> currentOffsets, CancellationToken cancellationToken)
    {
        _writer!.Flush();
        _file!.Flush(flushToDisk: true);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override void Stop()
    {
        _writer?.Flush();
        _writer?.Dispose();
        _writer = null;
        _file = null;
    }
}
