using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Event;

namespace AkkaBroker.Protocol.Logging;

/// <summary>One event of an ActorSystem's log, as a <see cref="LogSinkSetup"/> receives it.</summary>
/// <param name="Level">Akka's level; <c>akka.loglevel</c> already filtered the events below it.</param>
/// <param name="Category">The full name of the class that logged (e.g. <c>Akka.Remote.EndpointWriter</c>), a logger category.</param>
/// <param name="Source">Where in the ActorSystem it was logged: an actor's path, without this system's address.</param>
/// <param name="Message">The formatted message.</param>
/// <param name="Cause">The exception logged with it, if any.</param>
/// <param name="Timestamp">When it was logged (UTC).</param>
public sealed record LogEntry(LogLevel Level, string Category, string Source, string Message, Exception? Cause, DateTime Timestamp);

/// <summary>
/// Sends an ActorSystem's log to <see cref="Write"/> instead of Akka's console loggers: add it to the system's setup
/// together with <see cref="Config"/>. The broker passes it to Microsoft.Extensions.Logging; the client to the
/// application's log handler or <c>ILogger</c>.
/// </summary>
public sealed class LogSinkSetup(Action<LogEntry> write) : Setup
{
    public Action<LogEntry> Write { get; } = write;

    /// <summary><c>akka.loggers</c> naming the <see cref="LogSink"/> as the system's only logger.</summary>
    // stdout-loglevel OFF: Akka's console logger, which writes before the loggers start and after they stop, would put
    // text lines among the sink's (JSON lines, in a broker's JSON mode; the application's output, in a client).
    public static Config Config { get; } = ConfigurationFactory.ParseString(
        $"akka.loggers = [\"{typeof(LogSink).FullName}, {typeof(LogSink).Assembly.GetName().Name}\"]\nakka.stdout-loglevel = OFF");

    /// <summary>The setup of an ActorSystem with <paramref name="config"/> that logs only to this sink.</summary>
    public ActorSystemSetup SystemSetup(Config config) => ActorSystemSetup.Create(this, BootstrapSetup.Create().WithConfig(Config.WithFallback(config)));
}

/// <summary>The logger actor Akka starts for <see cref="LogSinkSetup"/>: one event at a time, in order, to its sink.</summary>
public sealed class LogSink : ReceiveActor
{
    public LogSink()
    {
        var write = Context.System.Settings.Setup.Get<LogSinkSetup>().Value?.Write
                    ?? throw new ConfigurationException($"{typeof(LogSink).FullName} is in akka.loggers but the ActorSystem has no {nameof(LogSinkSetup)}");
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e =>
        {
            LogEntry? entry = null;
            try
            {
                // Formatting runs the event's arguments (a bad format string throws): inside, so the event is not lost silently.
                entry = new LogEntry(e.LogLevel(), CategoryOf(e), Shorten(e.LogSource), e.Message?.ToString() ?? "", e.Cause, e.Timestamp);
                write(entry);
            }
            catch (Exception failure)
            {
                // A sink that throws cannot log its own failure (that would call it again): standard error is the last resort.
                Console.Error.WriteLine($"the log handler threw {failure.GetType().Name}: {failure.Message}; the event was: " +
                                        (entry == null ? $"{e.LogLevel()} {e.LogSource}" : $"{entry.Level} {entry.Category}: {entry.Message}"));
            }
        });
    }

    // Events logged under a name rather than a class (Akka's remoting, Cluster) have Akka's placeholder class.
    private static string CategoryOf(LogEvent e) =>
        e.LogClass == null || e.LogClass == typeof(DummyClassForStringSources) ? "Akka" : e.LogClass.FullName ?? e.LogClass.Name;

    // Every event of one system carries the same address (akka.tcp://system@host:port): the path alone says which actor logged.
    private static string Shorten(string source)
    {
        var scheme = source.IndexOf("://", StringComparison.Ordinal);
        if (!source.StartsWith("akka", StringComparison.Ordinal) || scheme < 0) return source;
        var path = source.IndexOf('/', scheme + 3);
        return path < 0 ? source : source[path..];
    }
}
