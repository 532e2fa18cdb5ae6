using AkkaBroker.Protocol.Logging;

namespace AkkaBroker.Actors.Broker;

/// <summary>
/// Bounds the warnings and errors Akka.Remote logs about what peers send (a message that does not deserialize, a
/// refused association, a frame too large): each is one line per message, so a client sending garbage as fast as it
/// can would otherwise fill the broker's log and disk. Per logging class, at most <see cref="LinesPerWindow"/> such
/// lines are written per <see cref="Window"/>; the next one written says how many were left out. Other log events
/// pass untouched. Thread-safe.
/// </summary>
public sealed class LogFloodGuard(TimeProvider? clock = null)
{
    public const int LinesPerWindow = 10;

    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Dictionary<string, (long WindowStart, int Written, int Suppressed)> _categories = new(StringComparer.Ordinal);

    /// <summary>The entry to write (its message noting lines left out before it), or null to leave it out.</summary>
    public LogEntry? Admit(LogEntry entry)
    {
        if (entry.Level < Akka.Event.LogLevel.WarningLevel || !entry.Category.StartsWith("Akka.Remote", StringComparison.Ordinal)) return entry;
        var now = _clock.GetTimestamp();
        lock (_categories)
        {
            var (start, written, suppressed) = _categories.GetValueOrDefault(entry.Category, (now, 0, 0));
            if (_clock.GetElapsedTime(start, now) >= Window) (start, written) = (now, 0);
            if (written >= LinesPerWindow)
            {
                _categories[entry.Category] = (start, written, suppressed + 1);
                return null;
            }
            _categories[entry.Category] = (start, written + 1, 0);
            return suppressed == 0 ? entry
                : entry with { Message = $"{entry.Message} ({suppressed} more such line(s) from {entry.Category} were left out: at most {LinesPerWindow} per {Window.TotalSeconds:0} s)" };
        }
    }
}
