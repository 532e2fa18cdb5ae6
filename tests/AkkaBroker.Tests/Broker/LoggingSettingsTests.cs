using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using AkkaBroker.Actors.Broker;
using Microsoft.Extensions.Logging;
using Xunit;

namespace AkkaBroker.Tests.Broker;

public class LoggingSettingsTests
{
    private sealed record Logged(string Category, Microsoft.Extensions.Logging.LogLevel Level, string Message, Exception? Exception);

    /// <summary>An ILoggerFactory that keeps what it is given.</summary>
    private sealed class CapturingLoggerFactory : ILoggerFactory
    {
        public ConcurrentQueue<Logged> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Entries);
        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();
        public void Dispose() { }

        private sealed class Logger(string category, ConcurrentQueue<Logged> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

            public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                entries.Enqueue(new Logged(category, logLevel, formatter(state, exception), exception));
        }
    }

    private sealed class Chatty : ReceiveActor
    {
        public Chatty()
        {
            var log = Context.GetLogger();
            Receive<string>(s => log.Warning("partition {0} fell behind", s));
            Receive<Exception>(e => log.Error(e, "journal write failed"));
        }
    }

    private static async Task<Logged> WaitForAsync(CapturingLoggerFactory factory, Func<Logged, bool> match)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (factory.Entries.FirstOrDefault(match) is { } found) return found;
            await Task.Delay(20);
        }
        throw new TimeoutException($"no such log entry; got: {string.Join("; ", factory.Entries.Select(e => e.Message))}");
    }

    [Fact]
    public async Task Akka_events_reach_the_logger_factory_under_the_class_that_logged_with_the_actor_path_and_level()
    {
        var factory = new CapturingLoggerFactory();
        var sink = LoggingSettings.AkkaLoggingThrough(factory);
        using var system = ActorSystem.Create("logging", sink.SystemSetup(ConfigurationFactory.ParseString("akka.loglevel = INFO")));
        var chatty = system.ActorOf(Props.Create<Chatty>(), "chatty");

        chatty.Tell("orders-0");
        var warning = await WaitForAsync(factory, e => e.Message.Contains("fell behind"));
        Assert.Equal(typeof(Chatty).FullName, warning.Category);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, warning.Level);
        Assert.Equal("[/user/chatty] partition orders-0 fell behind", warning.Message);

        var failure = new IOException("disk full");
        chatty.Tell(failure);
        var error = await WaitForAsync(factory, e => e.Message.Contains("journal write failed"));
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Error, error.Level);
        Assert.Same(failure, error.Exception);
        await system.Terminate();
    }

    [Theory]
    [InlineData("text", LogFormat.Text)]
    [InlineData(" JSON ", LogFormat.Json)]
    public void The_format_is_text_or_json(string value, LogFormat expected) =>
        Assert.Equal(expected, LoggingSettings.Create(ConfigurationFactory.ParseString($"akkabroker.logging.format = \"{value}\"")).Format);

    [Fact]
    public void Another_format_is_refused_naming_the_key_and_the_choices()
    {
        var e = Assert.Throws<BrokerConfigurationException>(() => LoggingSettings.Create(ConfigurationFactory.ParseString("akkabroker.logging.format = xml")));
        Assert.Contains("akkabroker.logging.format = 'xml'", e.Message);
        Assert.Contains("text or json", e.Message);
    }

    [Fact]
    public void An_unknown_key_under_logging_is_refused_with_the_nearest_one() =>
        Assert.Contains("did you mean akkabroker.logging.format?",
            Assert.Throws<BrokerConfigurationException>(() => BrokerConfigKeys.Normalize(ConfigurationFactory.ParseString("akkabroker.logging.fromat = json"))).Message);
}
