using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using AkkaBroker.Actors.Metrics;
using AkkaBroker.Protocol.Messages;
using Microsoft.Data.Sqlite;

namespace AkkaBroker.Actors.Partitions;

/// <summary>
/// The broker's log cleaner (Kafka's LogCleaner with one cleaner thread): compacts one partition replica's log at a
/// time, on a background task, so the replica keeps appending and serving fetches meanwhile. It reads the cleanable
/// journal events twice (first to map each key to its latest offset, then to rewrite each batch with
/// <see cref="LogCompaction.Clean"/>) and rewrites them in place, in short transactions, through
/// <see cref="JournalRewriter"/>; reads and writes share the broker-wide budget <c>log.cleaner.io.max.bytes.per.second</c>.
/// The replica then journals <see cref="LogCleaned"/> with the cleaned segments' new sizes.
/// </summary>
public sealed class LogCleaner : ReceiveActor
{
    public const string Name = "log-cleaner";

    /// <summary>
    /// Compact the journal events of <c>Plan</c>; tombstones with a timestamp before <c>TombstoneHorizonMs</c> go too.
    /// <c>CleaningId</c> comes back with the answer, so the replica can tell an answer about a log it has since reset.
    /// </summary>
    public sealed record CleanLog(TopicPartition TopicPartition, string PersistenceId, PartitionLog.CleaningPlan Plan, long TombstoneHorizonMs, long CleaningId);

    /// <summary>The log below <c>CleanedUpTo</c> is compacted; the cleaned segments now hold <c>SegmentBytes</c>.</summary>
    public sealed record Cleaned(TopicPartition TopicPartition, long CleanedUpTo, IReadOnlyList<SegmentSize> SegmentBytes, CleaningStats Stats, long CleaningId);

    /// <summary>Cleaning stopped part-way (what was rewritten stays valid); the replica tries again later.</summary>
    public sealed record CleaningFailed(TopicPartition TopicPartition, string Reason, long CleaningId);

    public sealed record CleaningStats(long BytesRead, long BytesBefore, long BytesAfter, int BatchesRewritten, int BatchesRemoved, int Keys, TimeSpan Elapsed);

    private sealed record Job(CleanLog Request, IActorRef ReplyTo);

    private sealed record JobDone(Job Job, object Result);

    private readonly string _connectionString;
    private readonly CleanerThrottler _throttler;
    private readonly long _dedupeBufferBytes;
    private readonly Queue<Job> _queue = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _stopping = new();
    private bool _busy;

    public static Props Props(string databasePath, long ioMaxBytesPerSecond, long dedupeBufferBytes) =>
        Akka.Actor.Props.Create(() => new LogCleaner(databasePath, ioMaxBytesPerSecond, dedupeBufferBytes));

    public LogCleaner(string databasePath, long ioMaxBytesPerSecond, long dedupeBufferBytes)
    {
        _dedupeBufferBytes = dedupeBufferBytes;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = databasePath, DefaultTimeout = 30 }.ToString();
        _throttler = new CleanerThrottler(ioMaxBytesPerSecond);
        Receive<CleanLog>(r =>
        {
            // One pending job per partition: a newer request replaces a queued one (its answer carries the id the
            // replica now waits for).
            var others = _queue.Where(j => !j.Request.TopicPartition.Equals(r.TopicPartition)).ToArray();
            _queue.Clear();
            foreach (var j in others) _queue.Enqueue(j);
            _queue.Enqueue(new Job(r, Sender));
            RunNext();
        });
        Receive<JobDone>(d =>
        {
            _busy = false;
            d.Job.ReplyTo.Tell(d.Result);
            if (d.Result is Cleaned c)
            {
                BrokerMetrics.CleanerRuns.Add(1, new KeyValuePair<string, object?>("outcome", "cleaned"));
                BrokerMetrics.CleanerBytesRead.Add(c.Stats.BytesRead);
                BrokerMetrics.CleanerBytesRemoved.Add(c.Stats.BytesBefore - c.Stats.BytesAfter);
                BrokerMetrics.CleanerTime.Add(c.Stats.Elapsed.TotalSeconds);
                var s = c.Stats;
                _log.Info($"[{c.TopicPartition}] cleaned up to offset {c.CleanedUpTo}: {s.BytesBefore} -> {s.BytesAfter} bytes, {s.BatchesRewritten} batches " +
                          $"rewritten, {s.BatchesRemoved} removed, {s.Keys} keys, {s.Elapsed.TotalMilliseconds:0} ms " +
                          $"({s.BytesRead / 1e6 / Math.Max(0.001, s.Elapsed.TotalSeconds):0.0} MB/s read)");
            }
            else if (d.Result is CleaningFailed f)
            {
                BrokerMetrics.CleanerRuns.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
                _log.Warning("[{0}] cleaning failed, the replica retries after log.cleaner.backoff.ms: {1}", f.TopicPartition, f.Reason);
            }
            RunNext();
        });
    }

    protected override void PostStop()
    {
        _stopping.Cancel();
        base.PostStop();
    }

    private void RunNext()
    {
        if (_busy || !_queue.TryDequeue(out var job)) return;
        _busy = true;
        var token = _stopping.Token;
        Task.Run(() => Clean(job.Request, token), token).ContinueWith(t => new JobDone(job, t.IsCompletedSuccessfully
                ? t.Result
                : new CleaningFailed(job.Request.TopicPartition, t.Exception?.GetBaseException().Message ?? "cancelled", job.Request.CleaningId)),
            TaskScheduler.Default).PipeTo(Self);
    }

    private object Clean(CleanLog request, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var plan = request.Plan;
        using var rewriter = new JournalRewriter(_connectionString, request.PersistenceId);
        bool Live(long seq) => !plan.DeadRanges.Any(r => seq >= r.From && seq < r.To);

        // Pass 1: each key's latest offset in the part written since the last cleaning. As Kafka's dedupe buffer, the
        // map is bounded (log.cleaner.dedupe.buffer.size): once full, cleaning ends at the next segment boundary and
        // the rest waits for the next pass.
        var map = new LogCompaction.OffsetMap(plan.EndOffset);
        long bytesRead = 0, toSequenceNr = plan.ToSequenceNr;
        var segment = -1;
        foreach (var (seq, batch) in rewriter.ReadBatches(plan.DirtyFromSequenceNr, plan.ToSequenceNr))
        {
            ct.ThrowIfCancellationRequested();
            var current = SegmentOf(plan.Segments, seq);
            if (current != segment && current >= 0 && segment >= 0 && map.ApproximateBytes >= _dedupeBufferBytes)
            {
                map.StopAt(plan.Segments[current].BaseOffset);
                toSequenceNr = plan.Segments[current].FirstSequenceNr - 1;
                break;
            }
            segment = current;
            if (!Live(seq)) continue;
            map.Add(batch);
            bytesRead += batch.Length;
            _throttler.Throttle(batch.Length, ct);
        }

        // Pass 2: rewrite what changes, a few megabytes per transaction so appends wait only briefly for SQLite's lock.
        var sizes = plan.Segments.Where(s => s.BaseOffset < map.EndOffset).Select(s => new SegmentSize(s.BaseOffset, 0)).ToArray();
        var changes = new List<(long SequenceNr, byte[]? Batch)>();
        long before = 0, after = 0, pendingBytes = 0;
        int rewritten = 0, removed = 0;
        foreach (var (seq, batch) in rewriter.ReadBatches(plan.FromSequenceNr, toSequenceNr))
        {
            ct.ThrowIfCancellationRequested();
            if (!Live(seq)) continue;
            bytesRead += batch.Length;
            _throttler.Throttle(batch.Length, ct);
            var cleaned = LogCompaction.Clean(batch, map, request.TombstoneHorizonMs);
            before += batch.Length;
            after += cleaned?.Length ?? 0;
            var at = SegmentOf(plan.Segments, seq);
            if (at >= 0 && at < sizes.Length) sizes[at] = sizes[at] with { Bytes = sizes[at].Bytes + (cleaned?.Length ?? 0) };
            if (ReferenceEquals(cleaned, batch)) continue;
            if (cleaned == null) removed++;
            else rewritten++;
            changes.Add((seq, cleaned));
            pendingBytes += cleaned?.Length ?? 0;
            if (pendingBytes >= 4 * 1024 * 1024 || changes.Count >= 1000) Flush();
        }
        Flush();
        return new Cleaned(request.TopicPartition, map.EndOffset, sizes,
            new CleaningStats(bytesRead, before, after, rewritten, removed, map.Count, watch.Elapsed), request.CleaningId);

        void Flush()
        {
            if (changes.Count == 0) return;
            rewriter.Rewrite(changes, plan.FenceSequenceNr);
            _throttler.Throttle(pendingBytes, ct);
            changes.Clear();
            pendingBytes = 0;
        }
    }

    /// <summary>The segment holding journal event <paramref name="seq"/>: the last one starting at or before it.</summary>
    private static int SegmentOf(IReadOnlyList<LogSegmentInfo> segments, long seq)
    {
        for (var i = segments.Count - 1; i >= 0; i--)
            if (segments[i].FirstSequenceNr <= seq) return i;
        return -1;
    }
}

/// <summary>
/// Kafka's cleaner throttler: keeps the bytes the cleaner moved within a window at or below
/// <c>log.cleaner.io.max.bytes.per.second</c> by making the cleaner wait.
/// </summary>
internal sealed class CleanerThrottler(long bytesPerSecond)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private double _bytes;

    /// <summary>Counts <paramref name="bytes"/> and waits until the rate since the window began is back at the limit.</summary>
    public void Throttle(long bytes, CancellationToken ct)
    {
        if (bytesPerSecond == long.MaxValue) return;
        // A window of a few seconds, so an idle spell does not bank an unbounded burst.
        if (_clock.Elapsed > TimeSpan.FromSeconds(5))
        {
            _clock.Restart();
            _bytes = 0;
        }
        _bytes += bytes;
        var due = TimeSpan.FromSeconds(_bytes / bytesPerSecond) - _clock.Elapsed;
        if (due > TimeSpan.Zero) ct.WaitHandle.WaitOne(due);
    }
}
