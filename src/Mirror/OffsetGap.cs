namespace AkkaBroker.Mirror;

/// <summary>
/// What offsets missing between a source partition's position and the next record consumed mean. Offsets of a
/// partition need not be contiguous: compaction removes records, transaction markers take offsets no consumer sees,
/// and neither loses anything. Retention is different: when the source deleted records before the mirror read them,
/// they never reach the target, and the mirror must say so (with a count) instead of moving on silently. Missing
/// offsets at or above the partition's log start offset are the harmless kind; below it, retention deleted them.
/// </summary>
public abstract record OffsetGap
{
    /// <summary>Nothing was lost: no offsets are missing, or the missing ones are at or above the log start (compacted away, or transaction markers).</summary>
    public sealed record None : OffsetGap;

    /// <summary>
    /// Retention deleted offsets <c>[From, To)</c> before they were mirrored: up to <see cref="Count"/> records never
    /// reach the target. "Up to": once deleted, an offset that held a transaction marker or a record compaction had
    /// already removed cannot be told apart from one that held a record.
    /// </summary>
    public sealed record RemovedByRetention(long From, long To) : OffsetGap
    {
        /// <summary>How many offsets were deleted unread.</summary>
        public long Count => To - From;
    }

    /// <summary>
    /// Offsets <c>[From, To)</c> were not seen and the source's log start offset is not known: look it up (the
    /// consumer's <c>QueryWatermarkOffsets</c>, its <c>Low</c>) and <see cref="Detect"/> again.
    /// </summary>
    public sealed record LogStartNeeded(long From, long To) : OffsetGap;

    /// <summary>Classifies the offsets missing between <paramref name="previousPosition"/> and <paramref name="nextOffset"/>.</summary>
    /// <param name="previousPosition">The partition's position before: the offset after the last record consumed, or where it started.</param>
    /// <param name="nextOffset">The offset consumption goes on from: the next record's offset, or the log start the stream seeks to after the position fell out of range.</param>
    /// <param name="logStartOffset">The source partition's log start offset when known. Asked after the fact it may have moved on; it only grows, so a later value still tells which of the missing offsets retention took.</param>
    public static OffsetGap Detect(long previousPosition, long nextOffset, long? logStartOffset)
    {
        if (nextOffset <= previousPosition) return new None();
        if (logStartOffset is not { } logStart) return new LogStartNeeded(previousPosition, nextOffset);
        if (logStart <= previousPosition) return new None();
        return new RemovedByRetention(previousPosition, Math.Min(logStart, nextOffset));
    }
}
