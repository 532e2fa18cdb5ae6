using Akka.Actor;
using Akka.Event;

namespace AkkaBroker.Client.Internal;

/// <summary>
/// Writes the client ActorSystem's log to standard error: a client runs inside someone else's program (or a console
/// tool whose standard output is data), so Akka's default of standard output would mix logs into that output.
/// </summary>
internal sealed class StandardErrorLogger : ReceiveActor
{
    public StandardErrorLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e => Console.Error.WriteLine(e.ToString()));
    }
}
