using System.Text;
using Akka.TestKit.Xunit2;
using AkkaBroker.Actors.Partitions;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;
using Microsoft.Data.Sqlite;
using Xunit;

namespace AkkaBroker.Tests.Partitions;

/// <summary>The broker's log cleaner against a SQLite journal table: a full key map ends a pass at a segment boundary.</summary>
public sealed class LogCleanerSpec : TestKit, IDisposable
{
    private const string Pid = "partition-t-0";
    private static readonly TopicPartition Tp = new("t", 0);
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"akkabroker-cleaner-{Guid.NewGuid():N}.db");

    public LogCleanerSpec() : base(TestConfigs.PersistenceTestKit) { }

    void IDisposable.Dispose()
    {
        Shutdown();
        SqliteConnection.ClearAllPools();
        File.Delete(_path);
    }

    [Fact]
    public void A_pass_whose_key_map_fills_up_ends_at_the_next_segment_boundary_and_cleans_what_it_mapped()
    {
        // Four segments of five batches; each batch has 100 keys of its own and one update of the key "shared".
        var connection = new SqliteConnectionStringBuilder { DataSource = _path, Pooling = false }.ToString();
        JournalTable.Create(connection);
        var segments = new List<LogSegmentInfo>();
        long offset = 0, seq = 0;
        for (var s = 0; s < 4; s++)
        {
            segments.Add(new LogSegmentInfo(offset, seq + 1, 0, 0, 0, 0));
            for (var b = 0; b < 5; b++)
            {
                var builder = new RecordBatchBuilder(CompressionType.None);
                for (var i = 0; i < 100; i++) builder.Append(1000, Encoding.UTF8.GetBytes($"k{s}-{b}-{i}"), [1]);
                builder.Append(1000, "shared"u8.ToArray(), Encoding.UTF8.GetBytes($"{s}-{b}"));
                var batch = builder.Build();
                RecordBatch.SetBaseOffset(batch, offset);
                offset += 101;
                JournalTable.Insert(connection, Pid, ++seq, new BatchAppended(batch));
            }
        }
        // 500 new keys per segment at ~70 bytes each (~35 kB): a 40 kB map holds the first two segments' keys only.
        var cleaner = Sys.ActorOf(LogCleaner.Props(_path, long.MaxValue, dedupeBufferBytes: 40_000));
        var plan = new PartitionLog.CleaningPlan(1, 1, seq, offset, segments, [], 1.0, seq);
        cleaner.Tell(new LogCleaner.CleanLog(Tp, Pid, plan, long.MinValue, 7), TestActor);
        var cleaned = ExpectMsg<LogCleaner.Cleaned>(TimeSpan.FromSeconds(30));

        Assert.Equal(7, cleaned.CleaningId);
        Assert.Equal(segments[2].BaseOffset, cleaned.CleanedUpTo);
        Assert.Equal([segments[0].BaseOffset, segments[1].BaseOffset], cleaned.SegmentBytes.Select(x => x.BaseOffset));
        using var rewriter = new JournalRewriter(connection, Pid);
        var shared = rewriter.ReadBatches(1, seq).SelectMany(b => RecordBatch.Wrap(b.Batch).ReadRecords())
            .Where(r => Encoding.UTF8.GetString(r.Key!) == "shared").Select(r => Encoding.UTF8.GetString(r.Value!)).ToList();
        // Below the end of the pass only the latest "shared" is left; the later segments are untouched.
        Assert.Equal(["1-4", "2-0", "2-1", "2-2", "2-3", "2-4", "3-0", "3-1", "3-2", "3-3", "3-4"], shared);
    }
}
