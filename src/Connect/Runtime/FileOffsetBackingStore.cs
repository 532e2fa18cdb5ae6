using System.Text.Json;
using System.Text.Json.Nodes;

namespace AkkaBroker.Connect.Runtime;

/// <summary>
/// A standalone worker's source offsets in one file (<c>offset.storage.file.filename</c>), as Kafka's
/// <c>FileOffsetBackingStore</c>. The file is a JSON object from stored key (<see cref="SourceOffsetJson.Key"/>) to
/// offset. Each write replaces the file atomically (written beside it, flushed to disk, renamed over it), so a crash
/// leaves either the old offsets or the new ones, never a torn file.
/// </summary>
public sealed class FileOffsetBackingStore(string path) : IOffsetBackingStore
{
    private readonly StoredOffsets _offsets = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    /// <summary>The file.</summary>
    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <inheritdoc />
    /// <exception cref="ConnectException">the file exists and is not an offsets file.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Path))
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            return;
        }
        var text = await File.ReadAllTextAsync(Path, cancellationToken).ConfigureAwait(false);
        if (text.Trim().Length == 0) return;
        JsonObject root;
        try
        {
            root = JsonNode.Parse(text) as JsonObject ?? throw new JsonException("not a JSON object");
            // Checked here rather than when a task reads its offset, where it would fail the task instead of the start.
            foreach (var (key, value) in root)
                if (value is not (null or JsonObject)) throw new JsonException($"the offset of {key} is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new ConnectException($"{OffsetStorageKey} {Path} is not an offsets file written by this worker ({e.Message}). Point offset.storage.file.filename at a new file, or move this one away.", e);
        }
        foreach (var (key, value) in root)
            if (value != null) _offsets.Set(key, value.ToJsonString());
    }

    private const string OffsetStorageKey = "offset.storage.file.filename";

    /// <inheritdoc />
    public IReadOnlyDictionary<string, object?>? Get(string connector, IReadOnlyDictionary<string, object?> partition) => _offsets.Get(connector, partition);

    /// <inheritdoc />
    public IReadOnlyList<StoredSourceOffset> List(string connector) => _offsets.List(connector);

    /// <inheritdoc />
    public async Task SetAsync(string connector, IReadOnlyList<(IReadOnlyDictionary<string, object?> Partition, IReadOnlyDictionary<string, object?>? Offset)> offsets, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Writers take turns (the write lock), so the snapshot holds these offsets and every earlier write's.
            foreach (var (partition, offset) in offsets)
                _offsets.Set(SourceOffsetJson.Key(connector, partition), offset == null ? null : SourceOffsetJson.Write(offset));
            var root = new JsonObject(_offsets.Snapshot().Select(p => KeyValuePair.Create(p.Key, JsonNode.Parse(p.Value))));
            var snapshot = root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            var temporary = Path + ".tmp";
            await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
            {
                await file.WriteAsync(System.Text.Encoding.UTF8.GetBytes(snapshot), cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, Path, overwrite: true);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <inheritdoc />
    public Task ReadToEndAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _writeLock.Dispose();
        return ValueTask.CompletedTask;
    }
}
