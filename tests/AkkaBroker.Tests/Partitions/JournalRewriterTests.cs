using AkkaBroker.Actors.Partitions;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Serialization;
using Microsoft.Data.Sqlite;
using Xunit;

namespace AkkaBroker.Tests.Partitions;

/// <summary>The cleaner's journal access, on a SQLite file with the journal table's columns.</summary>
public sealed class JournalRewriterTests : IDisposable
{
    private const string Pid = "partition-t-0";
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"akkabroker-rewriter-{Guid.NewGuid():N}.db");
    private readonly string _connectionString;

    public JournalRewriterTests()
    {
        _connectionString = new SqliteConnectionStringBuilder { DataSource = _path, Pooling = false }.ToString();
        JournalTable.Create(_connectionString);
        for (var seq = 1; seq <= 5; seq++) Insert(seq, new BatchAppended([(byte)seq]));
    }

    public void Dispose() => File.Delete(_path);

    private void Insert(long seq, object @event) => JournalTable.Insert(_connectionString, Pid, seq, @event);

    private List<(long, byte)> Batches()
    {
        using var rewriter = new JournalRewriter(_connectionString, Pid);
        return rewriter.ReadBatches(1, 100).Select(b => (b.SequenceNr, b.Batch[0])).ToList();
    }

    [Fact]
    public void Batches_are_replaced_in_place_or_deleted_and_other_events_are_skipped()
    {
        Insert(6, new LogCleaned(3, []));
        using (var rewriter = new JournalRewriter(_connectionString, Pid))
            rewriter.Rewrite([(2, [20]), (3, null)], fenceSequenceNr: 6);
        Assert.Equal([(1L, (byte)1), (2, 20), (4, 4), (5, 5)], Batches());
    }

    [Fact]
    public void Nothing_is_written_when_a_truncation_was_journaled_after_the_plan()
    {
        Insert(6, new LogTruncated(3, 3, 4));
        using (var rewriter = new JournalRewriter(_connectionString, Pid))
        {
            var e = Assert.Throws<InvalidOperationException>(() => rewriter.Rewrite([(2, [20]), (3, null)], fenceSequenceNr: 5));
            Assert.Contains("changed under the cleaning", e.Message);
        }
        Assert.Equal([(1L, (byte)1), (2, 2), (3, 3), (4, 4), (5, 5)], Batches());
    }
}
