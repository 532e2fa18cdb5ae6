using AkkaBroker.Client;
using AkkaBroker.Mirror;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace AkkaBroker.Tests.Mirror;

/// <summary>
/// Random partitions of records with random gaps between offsets, acknowledged by the target in a random order: after
/// every acknowledgement the safe offset is one past the longest acknowledged run from the start, and never goes back.
/// </summary>
public sealed class SubmittedRecordsPropertyTests
{
    private const int Tests = 300;
    private static readonly TopicPartition Tp = new("orders", 0);

    /// <summary>A start position, gaps between consecutive offsets, and the order the target answers in.</summary>
    public sealed record Scenario(long Start, int[] Gaps, int[] AckOrder)
    {
        public long[] Offsets()
        {
            var offsets = new long[Gaps.Length];
            var next = Start;
            for (var i = 0; i < Gaps.Length; i++)
            {
                next += Gaps[i];
                offsets[i] = next;
                next++;
            }
            return offsets;
        }

        public override string ToString() => $"start {Start}, offsets [{string.Join(",", Offsets())}], acks in order [{string.Join(",", AckOrder)}]";
    }

    private static Arbitrary<Scenario> Scenarios => ScenarioGen.ToArbitrary();

    /// <summary>A scenario and which of its records the target fails.</summary>
    private static Arbitrary<(Scenario Scenario, int Failed)> WithFailure =>
        (from s in ScenarioGen
         from failed in Gen.Choose(0, s.Gaps.Length - 1)
         select (s, failed)).ToArbitrary();

    private static Gen<Scenario> ScenarioGen =>
        from start in Gen.Choose(0, 1000)
        from count in Gen.Choose(1, 40)
        // Mostly contiguous, sometimes a gap (compaction, transaction markers).
        from gaps in Gen.Frequency((6, Gen.Constant(0)), (1, Gen.Choose(1, 5))).ArrayOf(count)
        from order in Gen.Shuffle(Enumerable.Range(0, count).ToArray())
        select new Scenario(start, gaps, order);

    [Property(MaxTest = Tests)]
    public Property The_safe_offset_is_one_past_the_acknowledged_prefix_and_never_goes_back() =>
        Prop.ForAll(Scenarios, s =>
        {
            var records = new SubmittedRecords(abortOnSendFailure: true);
            records.Assign(Tp, s.Start);
            var offsets = s.Offsets();
            var sent = offsets.Select(o => records.Submit(Tp, o)).ToArray();
            var acked = new bool[offsets.Length];
            var previous = records.SafeOffset(Tp)!.Value;
            foreach (var i in s.AckOrder)
            {
                records.Acknowledged(sent[i]);
                acked[i] = true;
                var prefix = acked.TakeWhile(a => a).Count();
                var expected = prefix == 0 ? s.Start : offsets[prefix - 1] + 1;
                var safe = records.SafeOffset(Tp)!.Value;
                if (safe != expected || safe < previous)
                    return false.Label($"after acknowledging #{i} (offset {offsets[i]}): safe offset {safe}, expected {expected}, before {previous}");
                previous = safe;
            }
            return (records.InFlight == 0 && previous == offsets[^1] + 1).Label($"in flight {records.InFlight}, final safe offset {previous}");
        });

    [Property(MaxTest = Tests)]
    public Property The_safe_offset_never_passes_a_failed_send_whatever_is_acknowledged_after_it() =>
        Prop.ForAll(WithFailure, x =>
        {
            var (s, failed) = x;
            var records = new SubmittedRecords(abortOnSendFailure: true);
            records.Assign(Tp, s.Start);
            var offsets = s.Offsets();
            var sent = offsets.Select(o => records.Submit(Tp, o)).ToArray();
            foreach (var i in s.AckOrder)
            {
                if (i == failed) records.Failed(sent[i], "REQUEST_TIMED_OUT");
                else records.Acknowledged(sent[i]);
                if (records.SafeOffset(Tp) > offsets[failed])
                    return false.Label($"safe offset {records.SafeOffset(Tp)} passed the failed offset {offsets[failed]}");
            }
            return (records.MustStop && records.SafeOffset(Tp) == (failed == 0 ? s.Start : offsets[failed - 1] + 1))
                .Label($"must stop {records.MustStop}, safe offset {records.SafeOffset(Tp)}");
        });
}
