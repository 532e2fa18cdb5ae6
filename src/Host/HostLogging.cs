using System.CommandLine;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Protocol.Logging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace AkkaBroker.Host;

/// <summary>
/// The log of a long-running command (<c>serve</c>, <c>mirror-maker</c>, <c>connect</c>): Akka's events through
/// Microsoft.Extensions.Logging's console provider, as text lines or JSON lines on standard output. Akka's
/// <c>akka.loglevel</c> alone chooses what is logged, so the factory lets everything through.
/// </summary>
internal sealed class HostLogging : IDisposable
{
    private readonly ILogger _status;

    private HostLogging(LogFormat format)
    {
        Format = format;
        Factory = LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(LogLevel.Trace);
            if (format == LogFormat.Json)
                builder.AddJsonConsole(o =>
                {
                    o.UseUtcTimestamp = true;
                    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                });
            else
                builder.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.UseUtcTimestamp = true;
                    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                    // Colours only on a terminal: a file or journald gets plain text.
                    o.ColorBehavior = LoggerColorBehavior.Default;
                });
        });
        _status = Factory.CreateLogger("AkkaBroker.Host");
    }

    public LogFormat Format { get; }

    public ILoggerFactory Factory { get; }

    public static HostLogging Create(LogFormat format) => new(format);

    /// <summary>The logging of a tool's <c>--log-format</c> value (null: text); null after printing the error when the value is not a format.</summary>
    public static HostLogging? CreateFor(string? format)
    {
        try
        {
            return new HostLogging(format == null ? LogFormat.Text : LoggingSettings.ParseFormat(format, "--log-format"));
        }
        catch (BrokerConfigurationException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return null;
        }
    }

    /// <summary><c>--log-format text|json</c>, shared by the long-running commands.</summary>
    public static Option<string?> FormatOption() => new("--log-format")
    {
        Description = "How the log is written on standard output: text (one line per event) or json (one JSON object per line, for log shippers) " +
                      "(akkabroker.logging.format; default text)",
    };

    /// <summary>
    /// Writes a status line (listening on, ready, stopped): plain text in text mode, where scripts read it; a log event of
    /// category AkkaBroker.Host in JSON mode, so that every line of standard output is JSON.
    /// </summary>
    public void Status(string line)
    {
        if (Format == LogFormat.Json) _status.LogInformation("{Status}", line);
        else Console.WriteLine(line);
    }

    /// <summary>A warning of the command itself (a busy default port moved): standard error in text mode, a log event in JSON mode.</summary>
    public void Warn(string line)
    {
        if (Format == LogFormat.Json) _status.LogWarning("{Warning}", line);
        else Console.Error.WriteLine(line);
    }

    /// <summary>Where the ActorSystem of a tool (mirror-maker, connect) sends its log to go through this factory.</summary>
    public LogSinkSetup AkkaSink() => LoggingSettings.AkkaLoggingThrough(Factory);

    /// <summary>Writes what the console provider still queues (it writes on a background thread).</summary>
    public void Dispose() => Factory.Dispose();
}
