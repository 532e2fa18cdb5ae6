namespace AkkaBroker.Connect.Runtime;

/// <summary>
/// The source offsets an offset store holds in memory: stored key (<see cref="SourceOffsetJson.Key"/>) to offset JSON.
/// Thread-safe: tasks read and write it from their own threads, a log reader from its own.
/// </summary>
internal sealed class StoredOffsets
{
    private readonly Dictionary<string, string> _offsets = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Sets (or with null removes) the offset JSON under <paramref name="key"/>.</summary>
    public void Set(string key, string? json)
    {
        lock (_lock)
            if (json == null) _offsets.Remove(key);
            else _offsets[key] = json;
    }

    /// <summary>The newest offset of <paramref name="partition"/> of <paramref name="connector"/>, or null.</summary>
    public IReadOnlyDictionary<string, object?>? Get(string connector, IReadOnlyDictionary<string, object?> partition)
    {
        string? json;
        lock (_lock) json = _offsets.GetValueOrDefault(SourceOffsetJson.Key(connector, partition));
        return json == null ? null : SourceOffsetJson.Read(json);
    }

    /// <summary>Every stored partition of <paramref name="connector"/> with its offset.</summary>
    public IReadOnlyList<StoredSourceOffset> List(string connector)
    {
        lock (_lock)
            return _offsets.Select(p => (Key: SourceOffsetJson.ParseKey(p.Key), p.Value))
                .Where(p => p.Key?.Connector == connector)
                .Select(p => new StoredSourceOffset(p.Key!.Value.Partition, SourceOffsetJson.Read(p.Value)!))
                .ToList();
    }

    /// <summary>Every key and offset JSON, sorted by key.</summary>
    public List<KeyValuePair<string, string>> Snapshot()
    {
        lock (_lock) return _offsets.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
    }
}
