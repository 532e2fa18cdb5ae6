using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.Singleton;
using Akka.Configuration;
using Akka.Event;
using AkkaBroker.Actors.Controller;
using AkkaBroker.Actors.Gateway;
using AkkaBroker.Actors.Groups;
using AkkaBroker.Actors.Partitions;
using AkkaBroker.Protocol.Serialization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

using AkkaBroker.Actors.Kafka;
using AkkaBroker.Actors.Metrics;

namespace AkkaBroker.Actors.Broker;

/// <summary>
/// One running broker: its ActorSystem (a cluster member), the partition shard region, the controller singleton and
/// the client gateway. <see cref="StartAsync"/> returns once the broker can serve requests.
/// </summary>
public sealed class BrokerNode : IAsyncDisposable
{
    public const string ActorSystemName = "akkabroker";

    /// <summary>The transport protocol this system speaks (<c>akka.tcp</c>; <c>akka.trttl.tcp</c> with the throttler adapter), for paths to other brokers.</summary>
    public static string ProtocolOf(ActorSystem system) => ((ExtendedActorSystem)system).Provider.DefaultAddress.Protocol;

    private BrokerNode(ActorSystem system, BrokerSettings settings, IActorRef gateway, IActorRef partitionRegion, KafkaListener? kafkaListener, ClientEndpoint? clientEndpoint)
    {
        System = system;
        Settings = settings;
        Gateway = gateway;
        PartitionRegion = partitionRegion;
        KafkaListener = kafkaListener;
        ClientEndpoint = clientEndpoint;
    }

    /// <summary>The client quotas this broker holds its clients to; null on a controller-only node.</summary>
    public Quotas.ClientQuotaManager? ClientQuotas { get; private init; }

    /// <summary>Where AkkaBroker clients connect; null on a controller-only node, which serves no clients.</summary>
    public ClientEndpoint? ClientEndpoint { get; }

    /// <summary>The Kafka-protocol listener; null when it is off (<c>listeners = ""</c>) or on a controller-only node.</summary>
    public KafkaListener? KafkaListener { get; }

    /// <summary>The address a Kafka client bootstraps from (<c>bootstrap.servers</c>); null without a Kafka listener.</summary>
    public string? KafkaBootstrapServer => KafkaListener is { } k ? $"{k.Advertised.Host}:{k.Advertised.Port}" : null;

    /// <summary>The name of the controller's ClusterSingletonManager, on every node that may run the controller.</summary>
    public const string ControllerManagerName = "controller-singleton";

    public ActorSystem System { get; }
    public BrokerSettings Settings { get; }

    /// <summary>Where client requests go; <see cref="ActorRefs.Nobody"/> on a controller-only node, which serves no clients.</summary>
    public IActorRef Gateway { get; }
    public IActorRef PartitionRegion { get; }

    /// <summary>The cluster endpoint's port (differs from the setting when that was 0): what seed nodes name.</summary>
    public int BoundPort => ((ExtendedActorSystem)System).Provider.DefaultAddress.Port ?? Settings.Port;

    /// <summary>The cluster endpoint as other nodes list it in <c>--seed-nodes</c> (HOST:PORT).</summary>
    public string SeedNode => $"{Settings.Host}:{BoundPort}";

    /// <summary>What an AkkaBroker client puts in <c>bootstrap.servers</c>: the client endpoint's advertised address.</summary>
    /// <exception cref="InvalidOperationException">on a controller-only node, which serves no clients.</exception>
    public string BootstrapServer => ClientEndpoint is { } c
        ? $"{c.Advertised.Host}:{c.Advertised.Port}"
        : throw new InvalidOperationException($"node {Settings.BrokerId} is a controller-only node: it serves no clients");

    /// <summary>reference.conf of this assembly: every broker key with its default.</summary>
    public static Config ReferenceConfig { get; } = LoadReference();

    /// <summary>The full configuration: user overrides, then reference.conf, then the serializer bindings and Akka.DistributedData's defaults.</summary>
    public static Config Compose(Config overrides) =>
        overrides.WithFallback(ReferenceConfig).WithFallback(BrokerSerialization.Config)
            // Other brokers' replicators may write to this one before anything here touched DistributedData.
            .WithFallback(Akka.DistributedData.DistributedData.DefaultConfig());

    /// <summary>
    /// Creates the data directory readable by its owner only (0700, as the journal holds every record), when it does not
    /// exist; an existing directory keeps the mode its operator gave it.
    /// </summary>
    private static void CreateDataDirectory(string path)
    {
        if (Directory.Exists(path)) return;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
        else Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>Validates the configuration, prepares the data directory and starts the broker.</summary>
    /// <param name="loggerFactory">Where Akka's log goes; null keeps Akka's own console logger.</param>
    /// <exception cref="BrokerConfigurationException">a setting is not allowed.</exception>
    public static async Task<BrokerNode> StartAsync(Config overrides, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        var normalized = BrokerConfigKeys.Normalize(overrides);
        var composed = Compose(normalized);
        var settings = BrokerSettings.Create(composed);
        composed = WithSeedNodeProtocol(composed, settings.ClusterTls.Enabled);
        // As the Kafka listener's and the metrics endpoint's: a busy default port moves a node that did not ask for it,
        // unless the node is part of a configured cluster, whose other nodes name this port in their seed nodes.
        int? clusterPortMovedFrom = null;
        if (!normalized.HasPath("akka.remote.dot-netty.tcp.port") && composed.GetStringList("akka.cluster.seed-nodes") is not { Count: > 0 }
            && settings.Port != 0 && OperatingSystem.IsLinux() && !BrokerRunner.NobodyListensOn(settings.Host, settings.Port))
        {
            clusterPortMovedFrom = settings.Port;
            composed = ConfigurationFactory.ParseString("akka.remote.dot-netty.tcp.port = 0").WithFallback(composed);
        }
        // Certificates are read before anything is bound, so that a bad file stops the start with nothing to release.
        var clusterTls = settings.ClusterTls.Enabled ? settings.ClusterTls.Setup() : null;
        CreateDataDirectory(settings.DataDirectory);
        var connectionString = PrepareDatabase(settings.DatabasePath);
        var escaped = connectionString.Replace("\\", "\\\\").Replace("\"", "\\\"");
        // Bound before the cluster is joined: the address it advertises travels in this broker's cluster roles.
        var kafkaSettings = settings.IsBroker ? KafkaListenerSettings.Create(composed, settings.Host) : null;
        if (kafkaSettings != null) RefuseHalfAuthentication(settings, kafkaSettings);
        var kafka = kafkaSettings == null ? null : await KafkaListener.StartAsync(kafkaSettings);
        ClientEndpoint? clientEndpoint;
        try
        {
            clientEndpoint = settings.IsBroker ? ClientEndpoint.Bind(settings.ClientEndpoint, composed, loggerFactory) : null;
        }
        catch when (kafka != null)
        {
            await kafka.DisposeAsync();
            throw;
        }
        var config = ConfigurationFactory.ParseString($$"""
            akka.persistence.journal.sql.connection-string = "{{escaped}}"
            akka.persistence.snapshot-store.sql.connection-string = "{{escaped}}"
            akka.cluster.roles = [{{string.Join(", ", BrokerRole.RolesOf(settings, kafka?.Advertised, clientEndpoint?.Advertised).Select(r => $"\"{r}\""))}}]
            akka.cluster.distributed-data.durable.{{SqliteDurableStore.ConnectionStringKey}} = "{{escaped}}"
            """).WithFallback(composed);
        var journal = SqliteJournalConnections.Setup(connectionString, settings.JournalSynchronous);
        if (settings.ClusterTls.Enabled) config = ConfigurationFactory.ParseString("akka.remote.dot-netty.tcp.enable-ssl = true").WithFallback(config);
        var bootstrap = loggerFactory == null
            ? ActorSystemSetup.Create(journal, BootstrapSetup.Create().WithConfig(config))
            : LoggingSettings.AkkaLoggingThrough(loggerFactory).SystemSetup(config).And(journal);
        if (clusterTls != null) bootstrap = bootstrap.And(clusterTls);
        ActorSystem system;
        try
        {
            system = ActorSystem.Create(ActorSystemName, bootstrap);
        }
        catch
        {
            if (kafka != null) await kafka.DisposeAsync();
            if (clientEndpoint != null) await clientEndpoint.DisposeAsync();
            throw;
        }
        // Clients are cut off once the broker has left the cluster, as Kafka clients are (the listener below).
        if (clientEndpoint != null)
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "stop-client-endpoint", async () =>
            {
                await clientEndpoint.DisposeAsync();
                return Akka.Done.Instance;
            });
        if (clusterPortMovedFrom is { } taken)
            system.Log.Warning("Cluster endpoint: port {0} is in use, so this broker's cluster endpoint is on port {1} instead (other nodes list it in " +
                               "--seed-nodes). Set akka.remote.dot-netty.tcp.port (serve --cluster-port) to choose one.", taken,
                ((ExtendedActorSystem)system).Provider.DefaultAddress.Port);
        if (kafka?.MovedFrom is { } busy)
            system.Log.Warning("Kafka listener: port {0} is in use, so this broker serves Kafka clients on port {1} instead. Set {2}.listeners " +
                               "(serve --listeners PLAINTEXT://HOST:PORT) to choose one, or \"\" to turn the listener off.", busy, kafka.BoundPort, BrokerSettings.Section);
        else if (kafka != null)
            system.Log.Info("Kafka listener on port {0}, advertised as {1}:{2}", kafka.BoundPort, kafka.Advertised.Host, kafka.Advertised.Port);
        if (settings.Sasl.EnabledMechanisms.Contains(Protocol.Security.SaslMechanisms.Plain)
            && ((kafka?.Settings is { SaslEnabled: true, Tls: null }) || (settings.ClientEndpoint.SaslEnabled && !settings.ClientEndpoint.Tls.Enabled)))
            system.Log.Warning("SASL PLAIN is offered on an endpoint without TLS ({0}): clients using it send their passwords in clear. Offer only " +
                               "SCRAM-SHA-256/512 there ({1}.enabled.mechanisms), or turn TLS on for the client endpoint and the Kafka listener off",
                kafka?.Settings is { SaslEnabled: true, Tls: null } ? "the SASL_PLAINTEXT Kafka listener" : "the client endpoint", Security.SaslSettings.Section);
        // The listener stops after the broker has left the cluster, so clients are told to go elsewhere first.
        if (kafka != null)
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "stop-kafka-listener", async () =>
            {
                await kafka.DisposeAsync();
                return Akka.Done.Instance;
            });
        var maintenance = new SqliteMaintenance(settings.DatabasePath, connectionString, 256L * 1024 * 1024, system.Log);
        // Checkpointing stops before the actor system (and its journal) goes away.
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "stop-sqlite-maintenance", async () =>
        {
            await maintenance.DisposeAsync();
            return Akka.Done.Instance;
        });
        try
        {
            var cluster = Cluster.Get(system);
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            cluster.RegisterOnMemberUp(() => up.TrySetResult());
            if (config.GetStringList("akka.cluster.seed-nodes").Count == 0)
                await cluster.JoinAsync(cluster.SelfAddress, cancellationToken);
            try
            {
                await up.Task.WaitAsync(settings.JoinTimeout, cancellationToken);
            }
            catch (TimeoutException)
            {
                var joined = cluster.SelfMember.Status == MemberStatus.Joining || cluster.SelfMember.Status == MemberStatus.WeaklyUp;
                throw joined
                    ? new BrokerConfigurationException("akka.cluster.min-nr-of-members", config.GetString("akka.cluster.min-nr-of-members"),
                        $"reached: this broker joined, but the cluster did not have that many members within {settings.JoinTimeout.TotalSeconds:0} s " +
                        "(akkabroker.broker.cluster.join-timeout). Start more brokers", mayPassByItself: true)
                    : new BrokerConfigurationException("akka.cluster.seed-nodes", string.Join(",", config.GetStringList("akka.cluster.seed-nodes")),
                        $"reachable: this broker did not become a cluster member within {settings.JoinTimeout.TotalSeconds:0} s " +
                        "(akkabroker.broker.cluster.join-timeout). Start the first seed node (it alone can start a new cluster), or check the addresses", mayPassByItself: true);
            }
            await WaitUntilBrokerIdIsFreeAsync(system, cluster, settings, cancellationToken);

            // This broker's replicas form one shard, pinned to this node (the one with its role): their logs are in this node's journal.
            // A controller-only node starts the regions too, hosting no shard (only a broker's own region asks for its
            // shard), so that sharding's coordinator, a singleton on the oldest node, has a node to run on wherever that is.
            var region = await ClusterSharding.Get(system).StartAsync(
                PartitionMessageExtractor.TypeName,
                entityId => PartitionReplica.Props(PartitionMessageExtractor.ParseEntityId(entityId).TopicPartition, settings),
                ClusterShardingSettings.Create(system),
                new PartitionMessageExtractor(settings.BrokerId),
                new BrokerShardAllocationStrategy(system),
                PoisonPill.Instance);

            // Every node keeps a copy of the controller's replicated state (durable, in its own database) and answers
            // the controller's reads and writes, also a standby controller node that runs neither gateway nor controller:
            // the replicator starts only when first asked for, so ask for it now.
            _ = Akka.DistributedData.DistributedData.Get(system).Replicator;

            // The proxy buffers until the singleton runs, so coordinators can be given it before the controller starts.
            var controller = system.ActorOf(ClusterSingletonProxy.Props(
                    $"/user/{ControllerManagerName}",
                    ClusterSingletonProxySettings.Create(system).WithSingletonName("controller").WithRole(BrokerRole.Controller)),
                "controller-proxy");
            // Only a broker coordinates groups (a controller-only node's group region hosts no shard).
            var groupDirectory = settings.IsBroker ? system.ActorOf(GroupDirectory.Props(settings.BrokerId, region, controller,
                () => ClusterSharding.Get(system).ShardRegion(GroupMessageExtractor.TypeName), settings.AdminTimeout), GroupDirectory.Name) : ActorRefs.Nobody;
            var groupRegion = await ClusterSharding.Get(system).StartAsync(
                GroupMessageExtractor.TypeName,
                entityId => GroupCoordinator.Props(GroupMessageExtractor.ParseEntityId(entityId).GroupId, settings.Group, controller, region, groupDirectory),
                ClusterShardingSettings.Create(system),
                new GroupMessageExtractor(settings.BrokerId),
                new BrokerShardAllocationStrategy(system),
                PoisonPill.Instance);
            if (settings.IsController)
            {
                var localBroker = settings.IsBroker ? new Protocol.Messages.BrokerInfo(settings.BrokerId, cluster.SelfAddress.Host!, cluster.SelfAddress.Port!.Value) : null;
                system.ActorOf(ClusterSingletonManager.Props(
                        ControllerActor.Props(settings, localBroker, region, groupRegion),
                        PoisonPill.Instance,
                        ClusterSingletonManagerSettings.Create(system).WithSingletonName("controller").WithRole(BrokerRole.Controller)),
                    ControllerManagerName);
            }
            if (!cluster.State.Members.Any(m => m.HasRole(BrokerRole.Controller)))
                system.Log.Warning("No cluster member may run the controller (none has controller in {0}.process.roles), so metadata requests and " +
                                   "elections wait until such a node joins. Start a node with process.roles = broker,controller or controller",
                    BrokerSettings.Section);
            if (!settings.IsBroker) return new BrokerNode(system, settings, ActorRefs.Nobody, region, null, null);
            system.ActorOf(LogCleaner.Props(settings.DatabasePath, settings.LogCleaner.CleanerIoMaxBytesPerSecond, settings.LogCleaner.DedupeBufferSize), LogCleaner.Name);
            var gateway = system.ActorOf(BrokerGateway.Props(region, groupRegion, controller, settings), BrokerGateway.Name);
            system.ActorOf(ConsumerLagReporter.Props(region, settings.BrokerId, settings.ConsumerLagInterval), ConsumerLagReporter.Name);
            var credentials = new Security.ScramCredentialStore();
            var authorizer = new Security.Authorizer(settings.Authorizer);
            var quotas = new Quotas.ClientQuotaManager(settings.ClientQuota);
            var loaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            system.ActorOf(Security.SecurityMetadataWatcher.Props(credentials, authorizer, quotas, loaded), Security.SecurityMetadataWatcher.Name);
            // Read now, so that a truststore that cannot be read stops the start with its key named.
            var clientAuthentication = ClientAuthenticationOf(settings, credentials);
            void ServeClients()
            {
                kafka?.Serve(new KafkaApis(system, gateway, controller, groupDirectory, settings, credentials, authorizer, quotas));
                clientEndpoint?.Serve(system, gateway, clientAuthentication, authorizer, quotas);
            }
            // With logins or ACLs to check, clients are served only once this broker has read the users and ACLs (as a
            // Kafka broker does not serve before its authorizer has loaded): before, no DENY could be in force yet. Until
            // then the Kafka listener holds requests and the client endpoint answers "still starting", which clients retry.
            if (settings.Authorizer.Enabled || settings.ClientEndpoint.SaslEnabled || kafkaSettings?.SaslEnabled == true)
                _ = loaded.Task.ContinueWith(_ =>
                {
                    try
                    {
                        ServeClients();
                    }
                    catch (Exception e)
                    {
                        // A broker that never serves clients would answer "still starting" for good: it stops instead.
                        system.Log.Error(e, "This broker could not start serving clients; it stops");
                        _ = CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance);
                    }
                }, TaskContinuationOptions.OnlyOnRanToCompletion);
            else ServeClients();
            return new BrokerNode(system, settings, gateway, region, kafka, clientEndpoint) { ClientQuotas = quotas };
        }
        catch
        {
            await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance);
            throw;
        }
    }

    /// <summary>What the client endpoint authenticates clients with (SASL, client certificates); null when neither.</summary>
    private static ClientAuthentication? ClientAuthenticationOf(BrokerSettings settings, Security.ScramCredentialStore credentials)
    {
        var endpoint = settings.ClientEndpoint;
        if (!endpoint.SaslEnabled && endpoint.ClientAuth == Kafka.SslClientAuth.None) return null;
        return new ClientAuthentication(endpoint.SaslEnabled ? settings.Sasl.EnabledMechanisms : [], credentials,
            endpoint.ClientAuth == Kafka.SslClientAuth.None ? null : endpoint.Tls.Authorities(), endpoint.AuthenticationRequired);
    }

    /// <summary>
    /// Refuses a broker that authenticates every client on one endpoint and not on the other with no ACLs: a client of
    /// the open endpoint could do there what the other lets only authenticated clients do (change a user's credentials
    /// and act as that user on the other, say).
    /// </summary>
    private static void RefuseHalfAuthentication(BrokerSettings settings, KafkaListenerSettings kafka)
    {
        var kafkaAuthenticates = kafka.SaslEnabled || kafka.ClientAuth == SslClientAuth.Required;
        // ACLs close the gap only where a resource no ACL names is closed too: otherwise User:ANONYMOUS could alter users.
        if (settings.ClientEndpoint.AuthenticationRequired == kafkaAuthenticates || settings.Authorizer is { Enabled: true, AllowEveryoneIfNoAclFound: false }) return;
        var (key, value) = settings.ClientEndpoint.AuthenticationRequired
            ? ($"{BrokerSettings.Section}.listeners", $"{kafka.SecurityProtocol}://{kafka.BindHost}:{kafka.Port}")
            : ($"{AkkaBroker.Actors.Gateway.ClientEndpointSettings.Section}.sasl.enabled", "off");
        throw new BrokerConfigurationException(key, value,
            "authenticating clients too, as the other client endpoint does: otherwise anyone reaching this one could do, unauthenticated, what the other " +
            "lets only authenticated clients do (change users' credentials and act as them there, say). Authenticate on both (listeners = SASL_PLAINTEXT://HOST:PORT " +
            "or ssl.client.auth = required; client-endpoint.sasl.enabled = on or client-endpoint.ssl.client.auth = required), turn the Kafka listener off " +
            "(listeners = \"\"), or turn ACLs on (authorizer.class.name = StandardAuthorizer, allow.everyone.if.no.acl.found = false) so the open endpoint's " +
            "clients, User:ANONYMOUS, get only what the ACLs grant");
    }

    /// <summary>
    /// Seed nodes in the transport this node speaks: Akka names TLS addresses <c>akka.ssl.tcp</c>, and a seed list written
    /// (or given with --seed-nodes) as <c>akka.tcp</c> means the same nodes.
    /// </summary>
    internal static Config WithSeedNodeProtocol(Config config, bool tls)
    {
        var seeds = config.GetStringList("akka.cluster.seed-nodes") ?? [];
        if (seeds.Count == 0) return config;
        var (from, to) = tls ? ("akka.tcp://", "akka.ssl.tcp://") : ("akka.ssl.tcp://", "akka.tcp://");
        if (!seeds.Any(s => s.StartsWith(from, StringComparison.Ordinal))) return config;
        var rewritten = seeds.Select(s => s.StartsWith(from, StringComparison.Ordinal) ? to + s[from.Length..] : s);
        return ConfigurationFactory.ParseString($"akka.cluster.seed-nodes = [{string.Join(", ", rewritten.Select(s => $"\"{s}\""))}]").WithFallback(config);
    }

    /// <summary>
    /// Refuses to run a second node with an id that a live member already has (its gateway answers). A member with
    /// this id that is unreachable, or whose gateway does not answer, is this node's previous incarnation (crashed,
    /// restarted on another address before the cluster noticed): wait until the split brain resolver has downed it, so
    /// its replicas are never hosted twice.
    /// </summary>
    private static async Task WaitUntilBrokerIdIsFreeAsync(ActorSystem system, Cluster cluster, BrokerSettings settings, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + settings.JoinTimeout;
        while (true)
        {
            var twin = cluster.State.Members.FirstOrDefault(m => m.UniqueAddress != cluster.SelfUniqueAddress && BrokerRole.NodeIdOf(m) == settings.BrokerId
                                                                 && m.Status is MemberStatus.Up or MemberStatus.Joining or MemberStatus.WeaklyUp or MemberStatus.Leaving);
            if (twin == null) return;
            // A broker answers at its gateway; a controller-only node (no gateway) at its controller singleton manager.
            var probe = BrokerRole.IdOf(twin) != null ? BrokerGateway.Name : ControllerManagerName;
            var unreachable = cluster.State.Unreachable.Contains(twin) || !await AnswersAsync(system, twin.Address, probe);
            if (!unreachable || DateTime.UtcNow > deadline)
                throw new BrokerConfigurationException($"{BrokerSettings.Section}.broker.id", settings.BrokerId.ToString(), unreachable
                    ? $"unique in the cluster, but node {settings.BrokerId}'s previous instance at {twin.Address} is still a member but does not answer (not yet downed) after {settings.JoinTimeout.TotalSeconds:0} s. Wait until the cluster has removed it, then start again"
                    : $"unique in the cluster, but node {settings.BrokerId} is already running at {twin.Address}. Give each broker and controller node its own broker.id (serve --broker-id)",
                    // The cluster downs a previous instance by itself; a live twin is a configuration mistake.
                    mayPassByItself: unreachable);
            await Task.Delay(500, ct);
        }
    }

    private static async Task<bool> AnswersAsync(ActorSystem system, Address address, string actorName)
    {
        try
        {
            await system.ActorSelection($"{address}/user/{actorName}").ResolveOne(TimeSpan.FromSeconds(2));
            return true;
        }
        catch (Exception e) when (e is ActorNotFoundException or TimeoutException or AskTimeoutException)
        {
            return false;
        }
    }

    /// <summary>
    /// Creates the SQLite file in WAL mode (persistent on the file, about twice the write rate of the default
    /// rollback journal) with incremental auto-vacuum, so the space of deleted journal rows can be given back to the
    /// file system (<see cref="SqliteMaintenance"/>), and returns the connection string for Akka.Persistence.Sql.
    /// A file made before auto-vacuum was on is converted once with VACUUM, which rewrites the whole file.
    /// </summary>
    private static string PrepareDatabase(string path)
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = path }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA auto_vacuum;";
        if (Convert.ToInt64(command.ExecuteScalar()) != 2)
        {
            // Takes effect at once on an empty file; an existing one needs the VACUUM.
            command.CommandText = "PRAGMA auto_vacuum=INCREMENTAL;";
            command.ExecuteNonQuery();
            command.CommandText = "SELECT count(*) FROM sqlite_master;";
            if (Convert.ToInt64(command.ExecuteScalar()) > 0)
            {
                Console.Error.WriteLine($"akkabroker: converting {path} to incremental auto-vacuum (once; rewrites the file)...");
                command.CommandText = "VACUUM;";
                command.ExecuteNonQuery();
            }
        }
        command.CommandText = "PRAGMA journal_mode=WAL;";
        var mode = command.ExecuteScalar() as string;
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"SQLite refused WAL mode for {path} (it reports '{mode}')");
        return connectionString;
    }

    /// <summary>Leaves the cluster and stops through coordinated shutdown; acknowledged writes are already durable.</summary>
    public Task StopAsync() => CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await System.WhenTerminated;
    }

    private static Config LoadReference()
    {
        using var stream = typeof(BrokerNode).Assembly.GetManifestResourceStream("AkkaBroker.Actors.reference.conf")
                           ?? throw new InvalidOperationException("reference.conf is not embedded in AkkaBroker.Actors");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
