using Xunit;

namespace AkkaBroker.EndToEnd.Tests;

/// <summary>
/// A broker process that authenticates clients and checks ACLs, managed with the command-line tools as an operator would:
/// the first user from <c>serve --add-scram</c>, more with <c>users</c>, permissions with <c>acls</c>, and the tools of a
/// user without credentials or without an ACL refused with Kafka's errors.
/// </summary>
public sealed class SecurityCommandLineTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"akkabroker-security-{Guid.NewGuid():N}");

    public SecurityCommandLineTests() => Directory.CreateDirectory(_dir);

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

    private string Credentials(string name, string user, string password)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, $"security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.username={user}\nsasl.password={password}\n");
        return path;
    }

    [Fact]
    public async Task An_operator_adds_a_user_and_grants_it_one_topic_and_the_tools_hold_everyone_to_it()
    {
        using var broker = await BrokerProcess.StartAsync(Path.Combine(_dir, "data"), extraConfig: """
            akkabroker.broker.listeners = ""
            akkabroker.broker.client-endpoint.sasl.enabled = on
            akkabroker.broker.authorizer.class.name = StandardAuthorizer
            akkabroker.broker.super.users = "User:admin"
            """, extraArgs: ["--add-scram", "SCRAM-SHA-512=[name=admin,password=admin-secret]"]);
        var admin = Credentials("admin.properties", "admin", "admin-secret");
        var alice = Credentials("alice.properties", "alice", "alice-secret");
        string[] asAdmin = ["--bootstrap-server", broker.Bootstrap, "--command-config", admin];

        // The admin's credential exists once the controller has run.
        await BrokerProcess.WaitForToolAsync(["users", "alter", .. asAdmin, "--user", "alice", "--add-config", "SCRAM-SHA-512=[iterations=8192,password=alice-secret]"],
            output => output.Contains("Completed updating SCRAM credentials of user 'alice'"), "the admin to add alice");
        var described = await BrokerProcess.RunToolAsync(null, ["users", "describe", .. asAdmin]);
        Assert.True(described.ExitCode == 0, described.Stderr);
        Assert.Contains("user-principal 'alice' are SCRAM-SHA-512=iterations=8192", described.Stdout);

        foreach (var topic in new[] { "orders", "payroll" })
        {
            var created = await BrokerProcess.RunToolAsync(null, ["topics", "create", .. asAdmin, "--topic", topic, "--partitions", "1"]);
            Assert.True(created.ExitCode == 0, created.Stderr);
        }
        var granted = await BrokerProcess.RunToolAsync(null, ["acls", "add", .. asAdmin, "--allow-principal", "User:alice", "--producer", "--topic", "orders"]);
        Assert.True(granted.ExitCode == 0, granted.Stderr);
        var listed = await BrokerProcess.RunToolAsync(null, ["acls", "list", .. asAdmin, "--topic", "orders"]);
        Assert.Contains("(principal=User:alice, host=*, operation=Write, permissionType=Allow)", listed.Stdout);

        await BrokerProcess.WaitForToolAsync(["topics", "list", "--bootstrap-server", broker.Bootstrap, "--command-config", alice],
            output => output.Contains("orders"), "alice to see orders");
        var produced = await BrokerProcess.RunToolAsync("hello\n", "produce", "--bootstrap-server", broker.Bootstrap, "--topic", "orders", "--producer.config", alice);
        Assert.True(produced.ExitCode == 0, produced.Stderr);
        var refused = await BrokerProcess.RunToolAsync("salary\n", "produce", "--bootstrap-server", broker.Bootstrap, "--topic", "payroll", "--producer.config", alice);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("TOPIC_AUTHORIZATION_FAILED", refused.Stderr);
        var aliceTopics = await BrokerProcess.RunToolAsync(null, "topics", "list", "--bootstrap-server", broker.Bootstrap, "--command-config", alice);
        Assert.DoesNotContain("payroll", aliceTopics.Stdout);
        var notAdmin = await BrokerProcess.RunToolAsync(null, "acls", "add", "--bootstrap-server", broker.Bootstrap, "--command-config", alice,
            "--allow-principal", "User:alice", "--operation", "All", "--topic", "payroll");
        Assert.NotEqual(0, notAdmin.ExitCode);
        Assert.Contains("CLUSTER_AUTHORIZATION_FAILED", notAdmin.Stderr);

        var anonymous = await BrokerProcess.RunToolAsync(null, "topics", "list", "--bootstrap-server", broker.Bootstrap);
        Assert.NotEqual(0, anonymous.ExitCode);
        Assert.Contains("SASL_AUTHENTICATION_FAILED", anonymous.Stderr);
        var wrong = await BrokerProcess.RunToolAsync(null, "topics", "list", "--bootstrap-server", broker.Bootstrap,
            "--command-config", Credentials("wrong.properties", "alice", "not-it"));
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.Contains("invalid credentials", wrong.Stderr);
    }
}
