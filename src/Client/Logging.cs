using AkkaBroker.Protocol.Logging;

namespace AkkaBroker.Client;

/// <summary>Severity of a <see cref="LogMessage"/>, as syslog (and librdkafka) number them: lower is more severe.</summary>
public enum SyslogLevel
{
    /// <summary>The system is unusable.</summary>
    Emergency = 0,
    /// <summary>Action must be taken at once.</summary>
    Alert = 1,
    /// <summary>Critical conditions.</summary>
    Critical = 2,
    /// <summary>Errors.</summary>
    Error = 3,
    /// <summary>Warnings.</summary>
    Warning = 4,
    /// <summary>Normal but significant conditions.</summary>
    Notice = 5,
    /// <summary>Information.</summary>
    Info = 6,
    /// <summary>Debugging detail.</summary>
    Debug = 7,
}

/// <summary>Which scale <see cref="LogMessage.LevelAs(LogLevelType)"/> maps a level to.</summary>
public enum LogLevelType
{
    /// <summary>Syslog's, as <see cref="SyslogLevel"/>.</summary>
    SysLogLevel = 1,
    /// <summary>Microsoft.Extensions.Logging's LogLevel.</summary>
    MicrosoftExtensionsLogging = 2,
    /// <summary>System.Diagnostics.TraceLevel.</summary>
    SystemDiagnostics = 3,
}

/// <summary>
/// One line of a client's log, given to the handler set with <c>SetLogHandler</c>. A client writes its log nowhere
/// else: without a handler it is not kept. To send it to Microsoft.Extensions.Logging:
/// <code>.SetLogHandler((_, m) => logger.Log(m.LevelAs(), "{Facility}: {Message}", m.Facility, m.Message))</code>
/// </summary>
/// <param name="name">The client's name (<c>client.id</c>).</param>
/// <param name="level">How severe it is.</param>
/// <param name="facility">What in the client logged it (the class name).</param>
/// <param name="message">The text.</param>
public sealed class LogMessage(string name, SyslogLevel level, string facility, string message)
{
    /// <summary>The client's name (<c>client.id</c>).</summary>
    public string Name { get; } = name;

    /// <summary>How severe it is.</summary>
    public SyslogLevel Level { get; } = level;

    /// <summary>What in the client logged it.</summary>
    public string Facility { get; } = facility;

    /// <summary>The text.</summary>
    public string Message { get; } = message;

    /// <summary>The level as a number of <paramref name="type"/>'s scale, as Confluent.Kafka's <c>LevelAs</c>.</summary>
    public int LevelAs(LogLevelType type) => type switch
    {
        LogLevelType.SysLogLevel => (int)Level,
        LogLevelType.MicrosoftExtensionsLogging => (int)LevelAs(),
        LogLevelType.SystemDiagnostics => Level switch
        {
            // System.Diagnostics.TraceLevel: Off 0, Error 1, Warning 2, Info 3, Verbose 4.
            <= SyslogLevel.Error => 1,
            SyslogLevel.Warning => 2,
            SyslogLevel.Debug => 4,
            _ => 3,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "a LogLevelType"),
    };

    /// <summary>The level as Microsoft.Extensions.Logging's (Emergency to Critical are Critical; Notice and Info are Information).</summary>
    public Microsoft.Extensions.Logging.LogLevel LevelAs() => Level switch
    {
        <= SyslogLevel.Critical => Microsoft.Extensions.Logging.LogLevel.Critical,
        SyslogLevel.Error => Microsoft.Extensions.Logging.LogLevel.Error,
        SyslogLevel.Warning => Microsoft.Extensions.Logging.LogLevel.Warning,
        SyslogLevel.Debug => Microsoft.Extensions.Logging.LogLevel.Debug,
        _ => Microsoft.Extensions.Logging.LogLevel.Information,
    };

    /// <inheritdoc />
    public override string ToString() => $"{Level} {Name} {Facility}: {Message}";

    internal static LogMessage From(string name, LogEntry entry)
    {
        var level = entry.Level switch
        {
            Akka.Event.LogLevel.DebugLevel => SyslogLevel.Debug,
            Akka.Event.LogLevel.InfoLevel => SyslogLevel.Info,
            Akka.Event.LogLevel.WarningLevel => SyslogLevel.Warning,
            _ => SyslogLevel.Error,
        };
        var facility = entry.Category[(entry.Category.LastIndexOf('.') + 1)..];
        var text = entry.Cause == null ? entry.Message : $"{entry.Message}: {entry.Cause.GetType().Name}: {entry.Cause.Message}";
        return new LogMessage(name, level, facility, text);
    }
}
