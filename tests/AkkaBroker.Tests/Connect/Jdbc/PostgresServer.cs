using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Xunit;

namespace AkkaBroker.Tests.Connect.Jdbc;

/// <summary>
/// A throwaway PostgreSQL server for the JDBC connector tests: <c>initdb</c> in a temporary directory owned by the
/// <c>postgres</c> system user, started with <c>pg_ctl</c> on a free port of 127.0.0.1 with trust authentication (and
/// fsync off: the tests need no durability), stopped and deleted on dispose. When run as root the server's commands
/// run as <c>postgres</c> through <c>runuser</c>, since PostgreSQL refuses to run as root. Missing PostgreSQL fails the
/// tests with what to install; it never skips them.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private const string InstallHint = "install Debian's PostgreSQL server with: apt-get install postgresql (it provides initdb and pg_ctl under /usr/lib/postgresql/<version>/bin and the postgres user)";
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);

    private string _root = "";
    private string _binDir = "";
    private bool _asPostgresUser;

    /// <summary>The TCP port the server listens on at 127.0.0.1.</summary>
    public int Port { get; private set; }

    /// <summary>The Npgsql connection string of <paramref name="database"/> as the superuser.</summary>
    public string ConnectionString(string database = "postgres") =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "postgres", Database = database, Timezone = "UTC" }.ConnectionString;

    /// <summary>The JDBC URL of <paramref name="database"/>, as a connector configuration gives it.</summary>
    public string JdbcUrl(string database) => $"jdbc:postgresql://127.0.0.1:{Port}/{database}";

    /// <summary>A new empty database, so that each test sees only its own tables.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "test_" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return name;
    }

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        _binDir = FindBinDir() ?? throw new InvalidOperationException($"PostgreSQL's initdb was found neither on PATH nor under /usr/lib/postgresql/*/bin; {InstallHint}.");
        _asPostgresUser = Environment.UserName == "root";
        if (_asPostgresUser && (await RunAsync("id", ["-u", "postgres"], check: false)).ExitCode != 0)
            throw new InvalidOperationException($"There is no 'postgres' system user to run PostgreSQL as (it refuses to run as root); {InstallHint}.");
        _root = Directory.CreateTempSubdirectory("akkabroker-pg-").FullName;
        if (_asPostgresUser) await RunAsync("chown", ["postgres:postgres", _root]);
        var data = Path.Combine(_root, "data");
        await RunServerToolAsync("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
        var deadline = DateTime.UtcNow + StartDeadline;
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort();
            var options = $"-p {Port} -k {_root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200";
            var started = await RunServerToolAsync("pg_ctl", ["-D", data, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "60", "-o", options, "start"], check: false);
            if (started.ExitCode == 0) break;
            // Another process may have taken the port between choosing and binding it: try another.
            if (attempt == 3 || DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"pg_ctl start failed ({started.ExitCode}): {started.Output}\n{ReadLog()}");
        }
        await WaitUntilAcceptingAsync(deadline);
    }

    private async Task WaitUntilAcceptingAsync(DateTime deadline)
    {
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString() + ";Pooling=false");
                await connection.OpenAsync();
                return;
            }
            catch (Exception e) when (e is NpgsqlException or SocketException)
            {
                last = e;
                await Task.Delay(50);
            }
        }
        throw new InvalidOperationException($"PostgreSQL on port {Port} did not accept connections within {StartDeadline.TotalSeconds} s: {last?.Message}\n{ReadLog()}");
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_root.Length == 0) return;
        if (Directory.Exists(Path.Combine(_root, "data", "base")))
            await RunServerToolAsync("pg_ctl", ["-D", Path.Combine(_root, "data"), "-m", "immediate", "-w", "stop"], check: false);
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a stopping server process; the temp directory is cleaned by the OS later.
        }
    }

    private string ReadLog()
    {
        var log = Path.Combine(_root, "server.log");
        return File.Exists(log) ? "server log:\n" + File.ReadAllText(log) : "(no server log)";
    }

    private static string? FindBinDir()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var initdb = Path.Combine(dir, "initdb");
            if (!File.Exists(initdb)) continue;
            // /usr/local/bin/initdb is a link into /usr/lib/postgresql/<version>/bin, where pg_ctl also is.
            var target = new FileInfo(initdb).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? initdb;
            return Path.GetDirectoryName(target);
        }
        const string debian = "/usr/lib/postgresql";
        if (!Directory.Exists(debian)) return null;
        return Directory.GetDirectories(debian)
            .Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, "initdb")))
            .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
            .FirstOrDefault();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private Task<(int ExitCode, string Output)> RunServerToolAsync(string tool, string[] args, bool check = true)
    {
        var path = Path.Combine(_binDir, tool);
        return _asPostgresUser ? RunAsync("runuser", ["-u", "postgres", "--", path, .. args], check) : RunAsync(path, args, check);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] args, bool check = true)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Cannot start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(StartDeadline);
        await process.WaitForExitAsync(timeout.Token);
        var output = (await stdout) + (await stderr);
        if (check && process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(" ", args)} failed with exit code {process.ExitCode}: {output}");
        return (process.ExitCode, output);
    }
}

/// <summary>The tests that share one <see cref="PostgresServer"/>; they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "PostgreSQL server";
}
