using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using AkkaBroker.Actors.Controller;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Groups;

/// <summary>
/// The consumer groups that exist, as one node sees them: the union of the directory's parts, plus the groups an older
/// controller kept in its own replicated state (until the controller moves them out). Thread-safe: the directory
/// actor swaps the whole set, the controller and the gateway read it.
/// </summary>
public sealed class GroupDirectoryView
{
    private volatile ImmutableHashSet<string> _all = ImmutableHashSet<string>.Empty;

    /// <summary>Every group, in no particular order.</summary>
    public IReadOnlyCollection<string> All => _all;

    internal void Set(ImmutableHashSet<string> all) => _all = all;
}

/// <summary>
/// The cluster's directory of consumer groups (what ListGroups lists, and whose idle coordinators the controller wakes
/// for offset retention), kept apart from the controller's state so that no number of groups can grow that state, which
/// travels whole in one message: Akka.DistributedData sets in <see cref="Parts"/> parts by group id, durable on every
/// node. Coordinators report their group coming into being or going away here (<see cref="RegisterGroup"/>,
/// <see cref="UnregisterGroup"/>), written to a majority of nodes; every node's directory keeps its
/// <see cref="GroupDirectoryView"/> up to date from the replicated parts.
/// </summary>
public sealed class GroupDirectory : ReceiveActor
{
    public const string Name = "group-directory";

    /// <summary>How many parts the directory is split into: each part holds about 1/32 of the groups.</summary>
    public const int Parts = 32;

    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The replicated set of part <paramref name="i"/>.</summary>
    public static ORSetKey<string> Key(int i) => new($"group-directory-{i}");

    /// <summary>The part a group is kept in: stable across nodes and versions (Java's String.hashCode, as Kafka places groups).</summary>
    public static int PartOf(string groupId) => ControllerState.OffsetsPartitionFor(groupId, Parts);

    public static Props Props(GroupDirectoryView view) => Akka.Actor.Props.Create(() => new GroupDirectory(view));

    /// <summary>Groups an older controller kept in its state, to move into the directory (sent by the controller).</summary>
    public sealed record RegisterGroups(IReadOnlyList<string> GroupIds);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IActorRef _replicator = DistributedData.Get(Context.System).Replicator;
    private readonly UniqueAddress _self = Cluster.Get(Context.System).SelfUniqueAddress;
    private readonly ImmutableHashSet<string>[] _parts = Enumerable.Repeat(ImmutableHashSet<string>.Empty, Parts).ToArray();
    private ImmutableHashSet<string> _legacy = ImmutableHashSet<string>.Empty;
    private readonly GroupDirectoryView _view;

    public GroupDirectory(GroupDirectoryView view)
    {
        _view = view;
        Receive<RegisterGroup>(r => Write(r.GroupId, exists: true));
        Receive<UnregisterGroup>(r => Write(r.GroupId, exists: false));
        Receive<RegisterGroups>(r =>
        {
            foreach (var group in r.GroupIds) Write(group, exists: true);
        });
        Receive<ListGroupsRequest>(_ => ListAsync().PipeTo(Sender));
        Receive<Changed>(c => c.Key.Equals(ControllerActor.StateKey), c =>
        {
            _legacy = c.Get(ControllerActor.StateKey).Value.Groups.ToImmutableHashSet();
            Publish();
        });
        Receive<Changed>(c =>
        {
            if (c.Key is not ORSetKey<string> key || !key.Id.StartsWith("group-directory-", StringComparison.Ordinal)
                || !int.TryParse(key.Id["group-directory-".Length..], out var i) || i is < 0 or >= Parts) return;
            _parts[i] = c.Get(key).Elements.ToImmutableHashSet();
            Publish();
        });
        // A write that reached fewer nodes than a majority is still in this node's (durable) copy and spreads by gossip.
        Receive<UpdateSuccess>(_ => { });
        Receive<UpdateTimeout>(t => _log.Debug("The group directory's {0} reached fewer than a majority of nodes in time; it spreads by gossip", t.Key));
        Receive<ModifyFailure>(f => _log.Error(f.Cause, "The group directory's {0} could not be changed: {1}", f.Key, f.ErrorMessage));
        Receive<StoreFailure>(_ => _log.Error("A part of the group directory could not be stored on disk here; it is kept by the other nodes"));
    }

    protected override void PreStart()
    {
        for (var i = 0; i < Parts; i++) _replicator.Tell(Dsl.Subscribe(Key(i), Self));
        _replicator.Tell(Dsl.Subscribe(ControllerActor.StateKey, Self));
    }

    /// <summary>
    /// Every group, read from a majority of nodes (as it is written), so a group a coordinator has just reported is
    /// listed: the view follows the replicas' notifications, up to half a second late. A part no majority answered for
    /// in time is taken from this node's copy.
    /// </summary>
    private async Task<ListGroupsResponse> ListAsync()
    {
        var legacy = _legacy;
        var reads = Enumerable.Range(0, Parts).Select(async i =>
        {
            var key = Key(i);
            var answer = await _replicator.Ask<IGetResponse>(Dsl.Get(key, new ReadMajority(WriteTimeout)), WriteTimeout + TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            return answer switch
            {
                GetSuccess found => found.Get(key).Elements,
                NotFound => ImmutableHashSet<string>.Empty,
                _ => (await _replicator.Ask<IGetResponse>(Dsl.Get(key, ReadLocal.Instance), WriteTimeout).ConfigureAwait(false)) is GetSuccess local
                    ? local.Get(key).Elements : ImmutableHashSet<string>.Empty,
            };
        });
        var all = new HashSet<string>(legacy, StringComparer.Ordinal);
        foreach (var part in await Task.WhenAll(reads).ConfigureAwait(false)) all.UnionWith(part);
        return new ListGroupsResponse(Protocol.ErrorCode.None, null, all.Order(StringComparer.Ordinal).ToArray());
    }

    private void Write(string groupId, bool exists)
    {
        _replicator.Tell(Dsl.Update(Key(PartOf(groupId)), ORSet<string>.Empty, new WriteMajority(WriteTimeout),
            set => exists ? set.Add(_self, groupId) : set.Remove(_self, groupId)));
    }

    private void Publish()
    {
        var all = _legacy;
        foreach (var part in _parts) all = all.Union(part);
        _view.Set(all);
    }
}
