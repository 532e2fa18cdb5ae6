using Akka.Configuration;
using System.Collections.Concurrent;
using AkkaBroker.Protocol.Logging;
using Microsoft.Extensions.Logging;

namespace AkkaBroker.Actors.Broker;

/// <summary>How the broker process writes its log (<c>akkabroker.logging.format</c>).</summary>
public enum LogFormat
{
    /// <summary>One line of text per event.</summary>
    Text,

    /// <summary>One JSON object per line, for log shippers.</summary>
    Json,
}

/// <summary>The <c>akkabroker.logging</c> section, read once at start.</summary>
public sealed record LoggingSettings(LogFormat Format)
{
    public const string Section = "akkabroker.logging";

    /// <exception cref="BrokerConfigurationException">the format is not one the broker writes.</exception>
    public static LoggingSettings Create(Config composed) =>
        new(ParseFormat(composed.GetString($"{Section}.format", "text"), $"{Section}.format"));

    /// <param name="key">The key or option the text came from, for the error.</param>
    /// <exception cref="BrokerConfigurationException">neither text nor json.</exception>
    public static LogFormat ParseFormat(string text, string key) => text.Trim().ToLowerInvariant() switch
    {
        "text" => LogFormat.Text,
        "json" => LogFormat.Json,
        _ => throw new BrokerConfigurationException(key, text, "text or json"),
    };

    /// <summary>
    /// What an ActorSystem needs to log through <paramref name="loggerFactory"/> instead of Akka's console logger: Akka's
    /// level (<c>akka.loglevel</c>) still chooses the events; each is logged under the category of the class that logged
    /// it, with the actor's path in front of the message. Akka.Remote's warnings about peers go through a <see cref="LogFloodGuard"/>.
    /// </summary>
    public static LogSinkSetup AkkaLoggingThrough(ILoggerFactory loggerFactory)
    {
        var loggers = new ConcurrentDictionary<string, ILogger>(StringComparer.Ordinal);
        // What peers make Akka.Remote log is bounded: a client must not be able to fill the log by sending garbage.
        var guard = new LogFloodGuard();
        return new LogSinkSetup(written =>
        {
            if (guard.Admit(written) is not { } entry) return;
            var logger = loggers.GetOrAdd(entry.Category, loggerFactory.CreateLogger);
            var level = entry.Level switch
            {
                Akka.Event.LogLevel.DebugLevel => Microsoft.Extensions.Logging.LogLevel.Debug,
                Akka.Event.LogLevel.InfoLevel => Microsoft.Extensions.Logging.LogLevel.Information,
                Akka.Event.LogLevel.WarningLevel => Microsoft.Extensions.Logging.LogLevel.Warning,
                _ => Microsoft.Extensions.Logging.LogLevel.Error,
            };
            logger.Log(level, entry.Cause, "[{Source}] {Message}", entry.Source, entry.Message);
        });
    }
}
