using Xunit;

namespace AkkaBroker.EndToEnd.Tests;

/// <summary>
/// The client properties files Kafka's tools take (--command-config, --producer.config, --consumer.config), with a
/// real broker process: their keys reach the client, a key the client does not know is refused by name, and a file that
/// is not there is named.
/// </summary>
public sealed class ClientConfigFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"akkabroker-client-config-{Guid.NewGuid():N}");

    public ClientConfigFileTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A broker's file still held while it exits; the OS cleans the temp dir.
        }
    }

    private string File(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task Tools_read_kafkas_client_properties_files_and_name_what_they_refuse()
    {
        using var broker = await BrokerProcess.StartAsync(Path.Combine(_dir, "data"));
        var admin = File("admin.properties", "# as for kafka-topics.sh\nclient.id=ops-admin\nrequest.timeout.ms=20000\n");
        var created = await BrokerProcess.RunToolAsync(null, "topics", "create", "--bootstrap-server", broker.Bootstrap, "--topic", "configured",
            "--partitions", "2", "--command-config", admin);
        Assert.True(created.ExitCode == 0, created.Stderr);
        var listed = await BrokerProcess.RunToolAsync(null, "topics", "list", "--bootstrap-server", broker.Bootstrap, "--command-config", admin);
        Assert.True(listed.ExitCode == 0, listed.Stderr);
        Assert.Contains("configured", listed.Stdout);

        var producer = File("producer.properties", "acks=1\nlinger.ms=0\ncompression.type=lz4\n");
        var produced = await BrokerProcess.RunToolAsync("a\nb\n", "produce", "--bootstrap-server", broker.Bootstrap, "--topic", "configured",
            "--producer.config", producer);
        Assert.True(produced.ExitCode == 0, produced.Stderr);
        var consumer = File("consumer.properties", "fetch.min.bytes=1\nclient.id=ops-consumer\n");
        var consumed = await BrokerProcess.RunToolAsync(null, "consume", "--bootstrap-server", broker.Bootstrap, "--topic", "configured",
            "--from-beginning", "--max-messages", "2", "--timeout-ms", "60000", "--consumer.config", consumer);
        Assert.True(consumed.ExitCode == 0, consumed.Stderr);
        Assert.Equal(["a", "b"], consumed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());

        var misspelt = File("bad.properties", "lingr.ms=5\n");
        var refused = await BrokerProcess.RunToolAsync("x\n", "produce", "--bootstrap-server", broker.Bootstrap, "--topic", "configured",
            "--producer.config", misspelt);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("lingr.ms", refused.Stderr);

        var missing = await BrokerProcess.RunToolAsync(null, "groups", "list", "--bootstrap-server", broker.Bootstrap,
            "--command-config", Path.Combine(_dir, "absent.properties"));
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("absent.properties does not exist", missing.Stderr);
    }
}
