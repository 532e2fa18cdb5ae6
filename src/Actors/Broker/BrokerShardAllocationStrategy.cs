using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;

namespace AkkaBroker.Actors.Broker;

/// <summary>
/// Places shard <c>broker-N</c> (broker N's partition replicas or group coordinators) on the node that carries the
/// cluster role <c>broker-N</c>, and never moves a shard. A replica's log is in its broker's own journal, so its shard
/// must run on that broker and nowhere else. The placement is read from cluster membership at the moment of
/// allocation, not from stored locations: Akka's ExternalShardAllocationStrategy keeps addresses, and a stale one
/// (a broker restarted on another port, another broker now at that address) would send a broker's replicas to the
/// wrong node, where they would write into the wrong journal.
/// </summary>
public sealed class BrokerShardAllocationStrategy(ActorSystem system) : IShardAllocationStrategy
{
    public Task<IActorRef> AllocateShard(IActorRef requester, string shardId, IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations)
    {
        var cluster = Cluster.Get(system);
        var owner = cluster.State.Members
            .Where(m => m.Status == MemberStatus.Up && m.HasRole(shardId))
            .OrderBy(m => m, Member.AgeOrdering)
            .FirstOrDefault();
        if (owner != null)
        {
            var region = currentShardAllocations.Keys.FirstOrDefault(r => AddressOf(r, cluster) == owner.Address);
            if (region != null) return Task.FromResult(region);
        }
        // The owner's region is not registered yet. Only a broker's own region ever asks for its shard (see
        // PartitionMessageExtractor), so the requester is that broker.
        return Task.FromResult(requester);
    }

    public Task<IImmutableSet<string>> Rebalance(IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations, IImmutableSet<string> rebalanceInProgress) =>
        Task.FromResult<IImmutableSet<string>>(ImmutableHashSet<string>.Empty);

    private static Address AddressOf(IActorRef region, Cluster cluster) =>
        region.Path.Address.HasLocalScope ? cluster.SelfAddress : region.Path.Address;
}
