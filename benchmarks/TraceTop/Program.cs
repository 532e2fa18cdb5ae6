using Microsoft.Diagnostics.Tracing.Etlx;

// Where a process spends its CPU, from a dotnet-trace trace of the dotnet-sampled-thread-time profile. That profile
// samples every thread, waiting ones too, so dotnet-trace's own report is topped by Monitor.Wait and its kin; this one
// drops the samples whose innermost frame waits and reports the rest, exclusive (innermost frame) and inclusive (any
// frame), as shares of the samples of running threads.
if (args.Length is < 1 or > 2 || !File.Exists(args[0]))
{
    Console.Error.WriteLine("usage: trace-top TRACE.nettrace [TOP (default 25)]");
    return 2;
}
var top = args.Length == 2 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 25;
string[] waits =
[
    "Monitor.Wait", "LowLevelLifoSemaphore.Wait", "WaitHandle.Wait", "ManualResetEventSlim.Wait", "SemaphoreSlim.Wait", "Thread.Sleep",
    "Thread.Join", "Interop+Sys.Read", "Interop+Sys.WaitForSocketEvents", "Interop+Sys.Poll", "LowLevelMonitor.Wait", "Task.Wait",
    "SpinWait.SpinOnce", "Thread.SpinWait", "TimerQueue.TimerThread", "WaitSubsystem", "Monitor.Enter_Slowpath",
    // Where a thread blocks in native code, the innermost managed frame is one of these.
    "SocketAsyncEngine.EventLoop", "WorkerThread.WorkerThreadStart", "PollGC", "Thread.StartCallback",
];
var etlx = TraceLog.CreateFromEventPipeDataFile(args[0]);
using var log = new TraceLog(etlx);
var exclusive = new Dictionary<string, int>(StringComparer.Ordinal);
var inclusive = new Dictionary<string, int>(StringComparer.Ordinal);
int all = 0, running = 0;
foreach (var sample in log.Events.Where(e => e.ProviderName == "Microsoft-DotNETCore-SampleProfiler"))
{
    if (sample.CallStack() is not { } stack) continue;
    all++;
    var leaf = Name(stack.CodeAddress);
    // A native innermost frame is judged by the managed frame that called into native code.
    var managed = stack;
    while (managed != null && managed.CodeAddress.FullMethodName is not { Length: > 0 }) managed = managed.Caller;
    var judged = managed == null ? leaf : Name(managed.CodeAddress);
    if (waits.Any(w => judged.Contains(w, StringComparison.Ordinal))) continue;
    if (managed != null && managed != stack) leaf = $"[native, called by {judged}]";
    running++;
    exclusive[leaf] = exclusive.GetValueOrDefault(leaf) + 1;
    var seen = new HashSet<string>(StringComparer.Ordinal);
    for (var frame = stack; frame != null; frame = frame.Caller)
    {
        var name = Name(frame.CodeAddress);
        if (seen.Add(name)) inclusive[name] = inclusive.GetValueOrDefault(name) + 1;
    }
}
Console.WriteLine($"{running:N0} of {all:N0} samples on running threads ({(all == 0 ? 0 : 100.0 * running / all):F1}%)");
Console.WriteLine("exclusive (innermost frame):");
foreach (var (name, count) in exclusive.OrderByDescending(kv => kv.Value).Take(top))
    Console.WriteLine($"  {100.0 * count / running,5:F1}%  {name}");
Console.WriteLine("inclusive (any frame), leaving out thread and dispatcher entry points:");
foreach (var (name, count) in inclusive.Where(kv => !IsEntryPoint(kv.Key)).OrderByDescending(kv => kv.Value).Take(top))
    Console.WriteLine($"  {100.0 * count / running,5:F1}%  {name}");
return 0;

static string Name(TraceCodeAddress address) =>
    address.FullMethodName is { Length: > 0 } method ? Shorten(method) : $"[native {address.ModuleName}]";

// Generic arguments and parameter lists make names long without telling methods apart much.
static string Shorten(string method)
{
    var paren = method.IndexOf('(');
    return paren > 0 ? method[..paren] : method;
}

static bool IsEntryPoint(string name) =>
    name.Contains("ThreadStart", StringComparison.Ordinal) || name.Contains("ExecutionContext.Run", StringComparison.Ordinal)
    || name.Contains("WorkerThread", StringComparison.Ordinal) || name.StartsWith("[native", StringComparison.Ordinal)
    || name.Contains("ThreadPoolWorkQueue.Dispatch", StringComparison.Ordinal) || name.Contains("RunAllTasks", StringComparison.Ordinal)
    || name.Contains("SingleThreadEventExecutor", StringComparison.Ordinal) || name.Contains("Mailbox.Run", StringComparison.Ordinal)
    || name.Contains("Mailbox.ProcessMailbox", StringComparison.Ordinal) || name.Contains("ForkJoinExecutor", StringComparison.Ordinal)
    || name.Contains("DedicatedThreadPool", StringComparison.Ordinal);
