using Akka.Actor;
using Akka.Event;
using AkkaBroker.Client;
using Error = AkkaBroker.Client.Error;

namespace AkkaBroker.Mirror;

/// <summary>
/// One of the mirror's <c>num.streams</c>: a consumer in the mirror's group on the source cluster whose records go, as
/// they are (key, value, headers, timestamp, partition number), to the target through the mirror's shared producer.
/// Source offsets are committed only for records the target acknowledged (<see cref="SubmittedRecords"/>): every
/// <c>offset.commit.interval.ms</c>, when partitions are revoked, and when the stream stops. A crash anywhere therefore
/// mirrors the last uncommitted records again and never skips one.
/// <para>
/// The client's <c>Consume</c> blocks, so it runs on a thread of its own that hands each record to this actor; the
/// actor owns the offset bookkeeping and the producing, so records of a partition reach the producer in offset order.
/// Records in flight are bounded (<see cref="MaxInFlight"/>): the consuming thread waits while the target is behind.
/// </para>
/// </summary>
public sealed class MirrorStream : ReceiveActor, IWithTimers
{
    /// <summary>Records sent to the target and not yet acknowledged, at most, before consuming waits.</summary>
    public const int MaxInFlight = 50_000;

    /// <param name="settings">The mirror's settings.</param>
    /// <param name="stream">This stream's number (0 to num.streams - 1): its consumer's client id suffix.</param>
    /// <param name="producer">The producer to the target, shared with the other streams of this process or node.</param>
    /// <param name="targetTopics">Creates target topics before their first record.</param>
    /// <param name="askParentForTopics">True when the parent is the <see cref="MirrorMaker"/> (answers <see cref="WantTopics"/>); false for a sharded entity, which the singleton tells its topics.</param>
    public static Props Props(MirrorMakerSettings settings, int stream, IProducer<byte[]?, byte[]?> producer, TargetTopics targetTopics, bool askParentForTopics = true) =>
        Akka.Actor.Props.Create(() => new MirrorStream(settings, stream, producer, targetTopics, askParentForTopics));

    /// <summary>The source topics to mirror now (the mirror's topic refresh found them); the stream subscribes to exactly these.</summary>
    public sealed record Subscribe(IReadOnlyList<string> Topics);

    /// <summary>Sent by a stream to its parent when it starts: answered with the current <see cref="Subscribe"/>.</summary>
    public sealed record WantTopics;

    /// <summary>
    /// Stop gracefully: stop consuming, wait for the target's answers to everything sent, commit the offsets they made
    /// safe, leave the group and stop.
    /// </summary>
    public sealed record StopStream;

    /// <summary>Every answer the producer's flush waited for is in the mailbox ahead of this: time for the last commit.</summary>
    private sealed record Drained;

    /// <summary>The last commit on the way out is done (or gave up): the stream stops.</summary>
    private sealed record FinalCommitDone;

    /// <summary>A record the consuming thread read, in the partition's offset order.</summary>
    private sealed record Consumed(ConsumeResult<byte[]?, byte[]?> Result, string TargetTopic);

    /// <summary>Records the consuming thread read in one go (a message per record would cost more than the record).</summary>
    private sealed record ConsumedBatch(IReadOnlyList<Consumed> Records);

    /// <summary>At most this many records per <see cref="ConsumedBatch"/>.</summary>
    private const int MaxBatch = 1000;

    /// <summary>The target's answer for a record of <paramref name="Bytes"/> key and value bytes, written on the source at <paramref name="TimestampMs"/>.</summary>
    private sealed record Delivered(SubmittedRecord Record, Error Error, long TargetOffset, long Bytes, long TimestampMs);

    /// <summary>
    /// The consuming thread found the partition's position out of the source's range and moved it to
    /// <paramref name="Resumed"/>: retention deleted the offsets before it (<paramref name="Gap"/>), or, with no gap, the
    /// source log went back and the partition is mirrored again from its start.
    /// </summary>
    private sealed record PositionReset(TopicPartition Partition, OffsetGap.RemovedByRetention? Gap, long Resumed);

    /// <summary>The group gave this stream partitions, starting at these offsets.</summary>
    private sealed record Assigned(IReadOnlyList<TopicPartitionOffset> Positions);

    /// <summary>The group takes these partitions away: answered with their safe offsets, which the consuming thread commits.</summary>
    private sealed record Revoking(IReadOnlyList<TopicPartition> Partitions);

    private sealed record CommitTick;

    /// <summary>Answered as soon as it is processed: everything the consuming thread sent before it has been handled.</summary>
    private sealed record Barrier;

    /// <summary>Time to refresh the partitions' lag and, now and then, say how the stream is doing.</summary>
    private sealed record ReportTick;

    private sealed record CommitDone(IReadOnlyList<TopicPartitionOffset> Offsets, IReadOnlyList<OffsetSync> FailedSyncs, Exception? Failure);

    /// <summary>The answer to <see cref="Revoking"/>: the offsets safe to commit once <paramref name="SyncsWritten"/> (the partitions' offset syncs) completed.</summary>
    private sealed record RevokeAnswer(IReadOnlyList<TopicPartitionOffset> Safe, Task SyncsWritten);

    /// <summary>The consuming thread ended with this error: the stream fails, and its supervisor restarts it.</summary>
    private sealed record ConsumingFailed(Exception Cause);

    private readonly MirrorMakerSettings _settings;
    private readonly int _stream;
    private readonly IProducer<byte[]?, byte[]?> _producer;
    private readonly TargetTopics _targetTopics;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly SubmittedRecords _submitted;
    private readonly PendingOffsetSyncs _syncs;
    private readonly CancellationTokenSource _stopping = new();
    // Signalled (at most once outstanding) when records in flight drop below the bound, or when the stream stops.
    private readonly SemaphoreSlim _room = new(0, 1);
    private IConsumer<byte[]?, byte[]?> _consumer = null!;
    private Task _consuming = Task.CompletedTask;
    // Records handed to this actor and not yet submitted: raised by the consuming thread, lowered by the actor.
    private int _queued;
    // Records submitted and not yet answered: written by this actor only, read by the consuming thread.
    private int _submittedInFlight;
    // A restarted stream waits this long before consuming again, so a failure that repeats (an unreachable target, a
    // source offset deleted by retention) does not spin.
    private TimeSpan _startDelay = TimeSpan.Zero;
    private bool _committing;
    // Set before the consumer is closed: its revoke handler then commits nothing (this actor already did, or cannot answer).
    private volatile bool _closing;
    private bool _drained;
    private bool _stopRequested;
    // The topics wanted, written by this actor and read by the consuming thread, which alone calls the consumer's Subscribe.
    private IReadOnlyList<string>? _wanted;
    private readonly StreamReport _report;
    private IDisposable? _consumerMetrics;

    private readonly bool _askParentForTopics;

    public MirrorStream(MirrorMakerSettings settings, int stream, IProducer<byte[]?, byte[]?> producer, TargetTopics targetTopics, bool askParentForTopics)
    {
        _askParentForTopics = askParentForTopics;
        _settings = settings;
        _stream = stream;
        _producer = producer;
        _targetTopics = targetTopics;
        _submitted = new SubmittedRecords(settings.AbortOnSendFailure);
        _syncs = new PendingOffsetSyncs(settings.SourceClusterName);
        _report = new StreamReport(stream);

        Receive<ConsumedBatch>(b =>
        {
            foreach (var c in b.Records) HandleConsumed(c);
            Interlocked.Add(ref _queued, -b.Records.Count);
            PublishInFlight();
        });
        Receive<Delivered>(HandleDelivered);
        Receive<PositionReset>(HandlePositionReset);
        Receive<ReportTick>(_ =>
        {
            if (_report.Tick(_submitted.Partitions, tp => _consumer.GetWatermarkOffsets(tp).High is { Value: >= 0 } high ? high.Value : null, _submitted.SafeOffset) is { } summary)
                _log.Info(summary);
        });
        Receive<Assigned>(a =>
        {
            foreach (var p in a.Positions) _submitted.Assign(p.TopicPartition, p.Offset.Value);
            _log.Info("stream {0}: assigned {1}", _stream, string.Join(", ", a.Positions));
        });
        Receive<Revoking>(r =>
        {
            // Asked by a revoke that raced the stream's stop: the asker gave up when the stop cancelled it, and the
            // stream commits these partitions itself on its way out, so they must stay tracked until then.
            if (_stopping.IsCancellationRequested) return;
            var safe = new List<TopicPartitionOffset>();
            foreach (var tp in r.Partitions)
            {
                _report.Forget(tp);
                if (_submitted.Revoke(tp) is { } offset) safe.Add(new TopicPartitionOffset(tp, offset));
            }
            _log.Info("stream {0}: revoked {1}; safe to commit: {2}", _stream, string.Join(", ", r.Partitions), safe.Count == 0 ? "nothing" : string.Join(", ", safe));
            var syncs = _syncs.Take(r.Partitions);
            foreach (var tp in r.Partitions) _syncs.Forget(tp);
            PublishInFlight();
            Sender.Tell(new RevokeAnswer(safe, WriteSyncsAsync(syncs).ContinueWith(t =>
            {
                if (t.Result.Count > 0) throw new MirrorStreamFailedException($"writing {t.Result.Count} offset syncs failed", null);
            })));
        });
        Receive<Subscribe>(s => Volatile.Write(ref _wanted, s.Topics));
        Receive<Barrier>(b => Sender.Tell(b));
        Receive<CommitTick>(_ => Commit());
        Receive<CommitDone>(d =>
        {
            _committing = false;
            foreach (var sync in d.FailedSyncs) _syncs.Failed(sync);
            if (d.Failure == null) _submitted.Committed(d.Offsets);
            // A failed commit is retried at the next tick with the offsets then safe: nothing is lost, only re-mirrored after a crash.
            else _log.Warning("stream {0}: committing source offsets failed ({1}); retrying at the next commit", _stream, d.Failure.Message);
            if (_drained) CommitFinal();
        });
        Receive<StopStream>(_ =>
        {
            if (_stopRequested) return;
            _stopRequested = true;
            // Waiting for the consuming thread and for the producer's buffer to empty blocks: off this actor's thread, so
            // a node handing off several streams at once does not starve its dispatcher. The answers the flush waits for
            // reach the mailbox before Drained does.
            Task.Run(() =>
            {
                StopConsuming();
                _producer.Flush(TimeSpan.FromSeconds(30));
            }).ContinueWith(_ => new Drained()).PipeTo(Self);
        });
        Receive<Drained>(_ =>
        {
            _drained = true;
            // A periodic commit still in flight carries older offsets: were it to land after the final one, the source
            // would keep its older position and the next run would mirror again what this one sent. It finishes first.
            if (!_committing) CommitFinal();
        });
        Receive<FinalCommitDone>(_ => Context.Stop(Self));
        Receive<ConsumingFailed>(f => throw new MirrorStreamFailedException($"stream {_stream}: consuming from the source failed: {f.Cause.Message}", f.Cause));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        var self = Self;
        _consumer = new ConsumerBuilder<byte[]?, byte[]?>(_settings.ConsumerConfigFor(_stream))
            .SetPartitionsAssignedHandler((consumer, partitions) => StartPositions(consumer, partitions, self))
            .SetPartitionsRevokedHandler((consumer, partitions) => CommitRevoked(consumer, partitions.Select(p => p.TopicPartition).ToList(), self))
            .Build();
        _consumerMetrics = MirrorMetrics.AddClient($"stream-{_stream}", () => _consumer.Metrics);
        if (_askParentForTopics) Context.Parent.Tell(new WantTopics());
        _consuming = Task.Factory.StartNew(() => ConsumeLoop(self, _stopping.Token), TaskCreationOptions.LongRunning);
        Timers.StartPeriodicTimer(nameof(CommitTick), new CommitTick(), _settings.OffsetCommitInterval);
        Timers.StartPeriodicTimer(nameof(ReportTick), new ReportTick(), ReportInterval);
    }

    /// <summary>How often each partition's lag is refreshed.</summary>
    public static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(1);



    /// <summary>
    /// A stream that stops without <see cref="StopStream"/> (it failed and is restarted, or the system went down) still
    /// commits what the answers it processed made safe: that is never more than the target has.
    /// </summary>
    protected override void PostStop()
    {
        StopConsuming();
        // Stopped without draining (failed, or not given time): commit what is safe, but wait briefly, as a stopping
        // node or a restart must not hang on a target that is going away.
        if (!_drained) CommitSafe(_submitted.OffsetsToCommit(), _syncs.Take(), "stopped without draining", TimeSpan.FromSeconds(5));
        _closing = true;
        _report.Publish();
        _consumerMetrics?.Dispose();
        foreach (var tp in _submitted.Partitions) _report.Forget(tp);
        _consumer.Close();
        _stopping.Dispose();
    }

    /// <summary>How long a restarted stream waits before it consumes again.</summary>
    public static readonly TimeSpan RestartBackoff = TimeSpan.FromSeconds(5);

    protected override void PostRestart(Exception reason)
    {
        _startDelay = RestartBackoff;
        _log.Warning("stream {0}: restarted after {1}; consuming again in {2} s from the last committed offsets", _stream, reason.Message, RestartBackoff.TotalSeconds);
        base.PostRestart(reason);
    }

    private void PublishInFlight() => Volatile.Write(ref _submittedInFlight, _submitted.InFlight);

    /// <summary>Wakes the consuming thread if it waits for room; only this actor signals, so the count never passes one.</summary>
    private void SignalRoom()
    {
        if (_room.CurrentCount == 0) _room.Release();
    }

    private void StopConsuming()
    {
        if (_stopping.IsCancellationRequested) return;
        _stopping.Cancel();
        SignalRoom();
        if (!_consuming.Wait(TimeSpan.FromSeconds(30)))
            _log.Warning("stream {0}: the consuming thread did not end within 30 s", _stream);
    }

    /// <summary>Commits <paramref name="offsets"/> synchronously after writing <paramref name="syncs"/>; touches no actor state, so it may run off the actor's thread.</summary>
    private void CommitSafe(List<TopicPartitionOffset> offsets, List<OffsetSync> syncs, string why, TimeSpan timeout)
    {
        try
        {
            // The syncs first: a committed source offset must always be translatable on the target.
            var write = WriteSyncsAsync(syncs);
            if (!write.Wait(timeout) || write.Result.Count > 0)
            {
                _log.Warning("stream {0}: {1}; writing the offset syncs to the target failed, so nothing is committed: the next run mirrors again from the commit before", _stream, why);
                return;
            }
            if (offsets.Count > 0) _consumer.Commit(offsets);
            _log.Info("stream {0}: {1}; committed {2}", _stream, why, offsets.Count == 0 ? "nothing new" : string.Join(", ", offsets));
        }
        catch (KafkaException e)
        {
            // The records past the last commit are mirrored again by the next owner: duplicates, never a loss.
            _log.Warning("stream {0}: {1}; the last commit failed ({2}), so the next run mirrors again from the commit before", _stream, why, e.Error);
        }
    }

    // Records read and not yet handed to the actor: the consuming thread's alone (the revoke handler runs on it too).
    private readonly List<Consumed> _pending = [];

    private void Send(IActorRef self, List<Consumed> batch)
    {
        if (batch.Count == 0) return;
        Interlocked.Add(ref _queued, batch.Count);
        self.Tell(new ConsumedBatch(batch.ToArray()));
        batch.Clear();
    }

    private void ConsumeLoop(IActorRef self, CancellationToken stopping)
    {
        IReadOnlyList<string>? subscribed = null;
        // Target topic names already ensured on the target (the consuming thread's own cache).
        var targets = new Dictionary<string, string>();
        try
        {
            // After a restart: wait (ending early if the stream stops) before touching the source again.
            if (_startDelay > TimeSpan.Zero) stopping.WaitHandle.WaitOne(_startDelay);
            while (!stopping.IsCancellationRequested)
            {
                var wanted = Volatile.Read(ref _wanted);
                if (!ReferenceEquals(wanted, subscribed))
                {
                    if (wanted is { Count: > 0 }) _consumer.Subscribe(wanted);
                    else _consumer.Unsubscribe();
                    subscribed = wanted;
                }
                if (subscribed is not { Count: > 0 })
                {
                    _room.Wait(TimeSpan.FromMilliseconds(100));
                    continue;
                }
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                if (Volatile.Read(ref _queued) + Volatile.Read(ref _submittedInFlight) >= MaxInFlight)
                {
                    _room.Wait(TimeSpan.FromMilliseconds(100));
                    _report.WaitedOnTarget(System.Diagnostics.Stopwatch.GetTimestamp() - started);
                    continue;
                }
                // The first record waits up to 100 ms; what is already fetched joins it in the same batch.
                var batch = _pending;
                var room = MaxInFlight - Volatile.Read(ref _queued) - Volatile.Read(ref _submittedInFlight);
                var timeout = TimeSpan.FromMilliseconds(100);
                while (batch.Count < Math.Min(MaxBatch, room))
                {
                    ConsumeResult<byte[]?, byte[]?>? result;
                    try
                    {
                        result = _consumer.Consume(timeout);
                    }
                    catch (ConsumeException e) when (e.Error.Code == AkkaBroker.Client.ErrorCode.OffsetOutOfRange && e.ConsumerRecord != null)
                    {
                        // The records before it go first: the reset must reach the actor after them.
                        Send(self, batch);
                        ResetPosition(e.ConsumerRecord.TopicPartitionOffset, self);
                        break;
                    }
                    if (result == null) break;
                    timeout = TimeSpan.Zero;
                    if (result.Message == null || result.IsPartitionEOF) continue;
                    // Created on the target (with the source's partition count and configs) before its first record is sent.
                    if (!targets.TryGetValue(result.Topic, out var target))
                        targets[result.Topic] = target = _targetTopics.EnsureAsync(result.Topic, stopping).GetAwaiter().GetResult();
                    batch.Add(new Consumed(result, target));
                }
                _report.WaitedOnSource(System.Diagnostics.Stopwatch.GetTimestamp() - started);
                Send(self, batch);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception e) when (!stopping.IsCancellationRequested)
        {
            self.Tell(new ConsumingFailed(e));
        }
    }

    /// <summary>
    /// On the consuming thread: the source answered OFFSET_OUT_OF_RANGE for the partition's position. Below the log
    /// start, retention deleted records the mirror never read: it says how many, counts them, and goes on from the
    /// log start (the offsets are gone; waiting cannot bring them back). Past the log end, the source log went back
    /// (the topic was deleted and created again, or an unclean leader election cut it): its records are new ones, so
    /// the partition is mirrored again from its start. Either way the actor hears of it before any record from the new
    /// position, and nothing moves silently.
    /// </summary>
    private void ResetPosition(TopicPartitionOffset at, IActorRef self)
    {
        if (OutOfRangePosition.Recover(_consumer, at) is { } reset) self.Tell(new PositionReset(reset.Partition, reset.Gap, reset.Resumed));
    }

    private void HandlePositionReset(PositionReset r)
    {
        if (r.Gap is { } gap)
        {
            _log.Error("stream {0}: {1}: the source's retention deleted offsets {2} to {3} before the mirror read them: up to {4} records are not on the target. " +
                       "Mirroring goes on from offset {5}. Keep records on the source longer (retention.ms, retention.bytes) than the mirror may fall behind.",
                _stream, r.Partition, gap.From, gap.To - 1, gap.Count, r.Resumed);
            MirrorMetrics.RecordsSkipped.Add(gap.Count, MirrorMetrics.Tags(r.Partition));
            _submitted.SkipTo(r.Partition, r.Resumed);
        }
        else
        {
            _log.Error("stream {0}: {1}: the source log ends before the mirror's position {2}: the topic was deleted and created again, or an unclean leader " +
                       "election cut its log. Its records are mirrored again from its log start, offset {3}; the target keeps the records mirrored before.",
                _stream, r.Partition, _submitted.Position(r.Partition)?.ToString() ?? "?", r.Resumed);
            MirrorMetrics.PartitionsRestarted.Add(1, MirrorMetrics.Tags(r.Partition));
            _submitted.Assign(r.Partition, r.Resumed);
        }
        PublishInFlight();
    }

    private void HandleConsumed(Consumed c)
    {
        var r = c.Result;
        var record = _submitted.Submit(r.TopicPartition, r.Offset.Value);
        var self = Self;
        var message = new Message<byte[]?, byte[]?> { Key = r.Message!.Key, Value = r.Message.Value, Headers = r.Message.Headers, Timestamp = r.Message.Timestamp };
        long bytes = (message.Key?.Length ?? 0) + (message.Value?.Length ?? 0), timestamp = message.Timestamp.UnixTimestampMs;
        _producer.Produce(new TopicPartition(c.TargetTopic, r.Partition), message, report => self.Tell(new Delivered(record, report.Error, report.Offset.Value, bytes, timestamp)));
    }

    private void HandleDelivered(Delivered d)
    {
        if (!d.Error.IsError)
        {
            if (_submitted.Acknowledged(d.Record))
            {
                _syncs.Acknowledged(d.Record.TopicPartition, d.Record.Offset, d.TargetOffset);
                _report.Acknowledged(d.Record.TopicPartition, d.Bytes, d.TimestampMs, heartbeat: d.Record.TopicPartition.Topic == _settings.Policy.HeartbeatsTopic);
            }
        }
        else
        {
            var outcome = _submitted.Failed(d.Record, d.Error.ToString());
            if (!outcome.MustStop) MirrorMetrics.RecordsDropped.Add(1, MirrorMetrics.Tags(d.Record.TopicPartition));
            _log.Error("stream {0}: {1}", _stream, outcome.Message);
            if (outcome.MustStop)
            {
                Commit();
                throw new MirrorStreamFailedException(outcome.Message, null, abort: true);
            }
        }
        PublishInFlight();
        if (_submitted.InFlight < MaxInFlight) SignalRoom();
    }

    /// <summary>The last commit of a drained stream, after which it stops.</summary>
    private void CommitFinal()
    {
        var (offsets, syncs) = (_submitted.OffsetsToCommit(), _syncs.Take());
        Task.Run(() => CommitSafe(offsets, syncs, "stopped", TimeSpan.FromSeconds(30))).ContinueWith(_ => new FinalCommitDone()).PipeTo(Self);
    }

    private void Commit()
    {
        // Once the stream is stopping, only its final commit runs (see Drained).
        if (_committing || _stopRequested) return;
        var offsets = _submitted.OffsetsToCommit();
        if (offsets.Count == 0) return;
        _committing = true;
        var syncs = _syncs.Take();
        // The offset syncs of everything acknowledged are on the target before the source offsets they cover are committed.
        WriteSyncsAsync(syncs).ContinueWith(async written =>
        {
            if (written.Result.Count > 0)
                return new CommitDone(offsets, written.Result, new MirrorStreamFailedException($"writing {written.Result.Count} offset syncs to {OffsetSync.Topic} failed", null));
            try
            {
                await _consumer.CommitAsync(offsets).ConfigureAwait(false);
                return new CommitDone(offsets, [], null);
            }
            catch (Exception e)
            {
                return new CommitDone(offsets, [], e);
            }
        }).Unwrap().PipeTo(Self);
    }

    /// <summary>Writes the syncs to the target; completes (never faults) with the ones that failed.</summary>
    private async Task<IReadOnlyList<OffsetSync>> WriteSyncsAsync(IReadOnlyList<OffsetSync> syncs)
    {
        if (syncs.Count == 0) return [];
        var writes = syncs.Select(sync => _producer.ProduceAsync(new TopicPartition(OffsetSync.Topic, 0), new Message<byte[]?, byte[]?> { Key = sync.Key(), Value = sync.Value() })).ToList();
        try
        {
            await Task.WhenAll(writes).ConfigureAwait(false);
            return [];
        }
        catch (Exception e)
        {
            _log.Warning("stream {0}: writing offset syncs to {1} failed ({2}); they are written again before the next commit", _stream, OffsetSync.Topic, e.Message);
            return syncs.Where((_, i) => !writes[i].IsCompletedSuccessfully).ToList();
        }
    }

    /// <summary>
    /// On the consuming thread, when partitions are assigned: each starts at its committed offset, or, with none, where
    /// the consumer file's <c>auto.offset.reset</c> says (the consumer itself runs with none, so no position is ever
    /// reset silently).
    /// </summary>
    private IEnumerable<TopicPartitionOffset> StartPositions(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartition> partitions, IActorRef self)
    {
        var timeout = TimeSpan.FromSeconds(30);
        var positions = new List<TopicPartitionOffset>();
        foreach (var committed in consumer.Committed(partitions, timeout))
        {
            if (committed.Offset.Value >= 0)
            {
                positions.Add(committed);
                continue;
            }
            if (_settings.AutoOffsetReset == AutoOffsetReset.Error)
                throw new MirrorStreamFailedException($"{committed.TopicPartition} has no committed offset in group {_settings.GroupId} and auto.offset.reset is none: " +
                                                      "set auto.offset.reset=earliest (or latest) in the consumer config to say where to start", null);
            var marks = consumer.QueryWatermarkOffsets(committed.TopicPartition, timeout);
            positions.Add(new TopicPartitionOffset(committed.TopicPartition, _settings.AutoOffsetReset == AutoOffsetReset.Latest ? marks.High : marks.Low));
        }
        self.Tell(new Assigned(positions));
        return positions;
    }

    /// <summary>
    /// On the consuming thread, when partitions are revoked: waits for the target's answers to what was sent, then
    /// commits, before the partitions go to another member, the offsets those answers made safe.
    /// </summary>
    private void CommitRevoked(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartition> partitions, IActorRef self)
    {
        if (partitions.Count == 0 || _closing) return;
        // Records read before the revoke, still in the batch being built, go to the actor first, and the barrier returns
        // once it has produced them: the flush then waits for their answers too, so the safe offsets include them.
        Send(self, _pending);
        self.Ask<Barrier>(new Barrier(), TimeSpan.FromSeconds(30), _stopping.Token).GetAwaiter().GetResult();
        _producer.Flush(TimeSpan.FromSeconds(30));
        // Asked after the flush: every answer the flush waited for is already in the actor's mailbox, ahead of this. A
        // stream that is stopping answers no more; it commits on its own way out.
        var answer = self.Ask<RevokeAnswer>(new Revoking(partitions), TimeSpan.FromSeconds(30), _stopping.Token).GetAwaiter().GetResult();
        if (answer.Safe.Count == 0) return;
        try
        {
            answer.SyncsWritten.Wait(TimeSpan.FromSeconds(30));
        }
        catch (AggregateException e)
        {
            // Without the syncs the offsets could not be translated on the target: commit nothing; the next owner mirrors the window again.
            _log.Warning("stream {0}: the revoked partitions' offset syncs were not written ({1}); their offsets are not committed", _stream, e.GetBaseException().Message);
            return;
        }
        consumer.Commit(answer.Safe);
    }
}

/// <summary>A stream cannot go on: its supervisor restarts it, unless <c>Abort</c> (abort.on.send.failure) stops the mirror.</summary>
public sealed class MirrorStreamFailedException(string message, Exception? inner, bool abort = false) : Exception(message, inner)
{
    /// <summary>A record the target refused with abort.on.send.failure=true: the whole mirror stops.</summary>
    public bool Abort { get; } = abort;
}
