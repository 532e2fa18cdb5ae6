using Akka.Actor;
using Akka.Event;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Controller;

/// <summary>How recorded changes reach the partition replicas: the commands each replica gets, sent through its own broker's gateway.</summary>
public sealed partial class ControllerActor
{
    /// <summary>New leadership is recorded (an election, a corrupt replica, a preferred leader): tell every live replica of the changed partitions.</summary>
    private FollowUp LeadershipRecorded(string why) => (result, _, _) =>
    {
        var change = result.Events.OfType<LeadershipChanged>().Single();
        foreach (var (topic, p) in change.Changes)
            _log.Info("{0}: {1}-{2} is led by {3} at leader epoch {4}, in-sync replicas {5}", why, topic, p.Partition,
                p.Leader < 0 ? "nobody (offline: no in-sync replica is live)" : $"broker {p.Leader}", p.LeaderEpoch, string.Join(",", p.Isr));
        foreach (var (topic, partition) in change.UncleanElections)
        {
            Metrics.BrokerMetrics.UncleanLeaderElections.Add(1);
            _log.Warning("Unclean leader election for {0}-{1}: no in-sync replica is live and unclean.leader.election.enable is true, so an out-of-sync " +
                         "replica leads; records acknowledged before may be lost", topic, partition);
        }
        var commands = change.Changes.GroupBy(c => c.Topic)
            .SelectMany(g => Ensures(_state.Topics[g.Key], g.Select(c => _state.Topics[g.Key].Partitions[c.Partition.Partition])))
            .Where(c => _liveBrokers.ContainsKey(c.BrokerId)).ToArray();
        ConfirmPartitions(commands, new TopicOperationResponse("", ErrorCode.None, null), ActorRefs.Nobody);
        // Offsets partitions that changed leader: the new leader's group directory reads their groups.
        var moved = change.Changes.Where(c => c.Topic == ControllerState.OffsetsTopic).Select(c => c.Partition.Partition).ToHashSet();
        if (moved.Count > 0) TellGroupDirectories(offsetsPartitions: moved);
    };

    /// <summary>
    /// Reassignments started, completed or cancelled: every live replica of the partitions hears the new leadership
    /// (new replicas start following), replicas no longer in a partition are deleted, and the requester is answered.
    /// </summary>
    private void ReplicasReassigned(ControllerResult result, ControllerState before, IActorRef replyTo)
    {
        var changed = result.Events.OfType<ReassignmentsChanged>().Single();
        // New replicas start from an empty log, as a new topic's do: a broker may still hold one of an earlier topic
        // of the same name (it was down when that was deleted). Sent before the leadership, which follows in order.
        var wipes = changed.Started.SelectMany(r => r.Adding.Where(_liveBrokers.ContainsKey).Select(b => new ReplicaCommand(b, new DeletePartition(r.TopicPartition)))).ToArray();
        if (wipes.Length > 0) ConfirmPartitions(wipes, new TopicOperationResponse("", ErrorCode.None, null), ActorRefs.Nobody);
        LeadershipRecorded("partition reassignment")(result, before, replyTo);
        foreach (var r in changed.Started)
            _log.Info("Reassigning {0} to replicas {1}: adding {2}, then removing {3}{4}", r.TopicPartition, string.Join(",", r.Target), string.Join(",", r.Adding),
                string.Join(",", r.Removing), r.ThrottleBytesPerSecond > 0 ? $", new replicas throttled to {r.ThrottleBytesPerSecond} bytes/s" : "");
        var removed = new List<ReplicaCommand>();
        foreach (var tp in changed.Ended)
        {
            if (!_state.Topics.TryGetValue(tp.Topic, out var topic)) continue;
            var now = topic.Partitions[tp.Partition].Replicas;
            var gone = before.Topics[tp.Topic].Partitions[tp.Partition].Replicas.Except(now).ToArray();
            _log.Info("{0} now has replicas {1}{2}", tp, string.Join(",", now), gone.Length > 0 ? $"; deleting the replicas on broker(s) {string.Join(",", gone)}" : "");
            // A removed replica on a broker that is down is deleted when it returns and asks for its leadership.
            removed.AddRange(gone.Where(_liveBrokers.ContainsKey).Select(b => new ReplicaCommand(b, new DeletePartition(tp))));
        }
        if (removed.Count > 0) ConfirmPartitions(removed.ToArray(), new TopicOperationResponse("", ErrorCode.None, null), ActorRefs.Nobody);
        if (result.Response != null) replyTo.Tell(result.Response);
    }

    /// <summary>A leader's proposed ISR is recorded: answer it, and tell the partition's live replicas.</summary>
    private void IsrRecorded(ControllerResult result, ControllerState before, IActorRef replyTo)
    {
        var response = (AlterPartitionResponse)result.Response!;
        var tp = response.TopicPartition;
        var p = response.Assignment!;
        _log.Info("Recorded in-sync replicas {0} for {1} (leader {2}, epoch {3}, partition epoch {4})", string.Join(",", p.Isr), tp,
            p.Leader, p.LeaderEpoch, p.PartitionEpoch);
        replyTo.Tell(response);
        if (_state.Reassignments.ContainsKey(tp)) Self.Tell(new ProgressReassignments());
        // The answer may never reach the leader (it timed out, or this request waited through a controller
        // hand-over): the leader also hears the recorded ISR as leadership, so it never counts a smaller one.
        var topic = _state.Topics[tp.Topic];
        ConfirmPartitions(Ensures(topic, [topic.Partitions[tp.Partition]]).Where(c => _liveBrokers.ContainsKey(c.BrokerId)).ToArray(),
            new TopicOperationResponse("", ErrorCode.None, null), ActorRefs.Nobody);
    }

    /// <summary>
    /// A topic operation is recorded: tell the replicas, and answer once they all confirmed, so a client that sees
    /// "created" can produce at once. A deleted topic's replicas are found in the state from before.
    /// </summary>
    private void TopicChanged(ControllerResult result, ControllerState before, IActorRef replyTo)
    {
        var response = (TopicOperationResponse)result.Response!;
        switch (result.Events.Single())
        {
            case TopicCreated c:
                _log.Info("Created topic {0} with {1} partitions", c.Topic.Name, c.Topic.Partitions.Count);
                ConfirmPartitions(CreationCommands(c.Topic), response, replyTo);
                break;
            case PartitionsAdded a:
                // Wiped first, like a new topic's: a broker that missed an earlier delete may still hold a log for them.
                ConfirmPartitions(Ensures(_state.Topics[a.Name], a.NewPartitions)
                        .SelectMany(c => new[] { c with { Command = new DeletePartition(((EnsurePartition)c.Command).TopicPartition) }, c }).ToArray(),
                    response, replyTo);
                break;
            case TopicConfigsChanged cc:
                var topic = _state.Topics[cc.Name];
                // Replicas on brokers that are down get the new config when they return (BrokerLive).
                ConfirmPartitions(Ensures(topic, topic.Partitions).Where(c => _liveBrokers.ContainsKey(c.BrokerId)).ToArray(), response, replyTo);
                // Enabling unclean.leader.election.enable may give an offline partition a leader now (as in Kafka).
                Self.Tell(new ElectLeaders());
                break;
            case TopicDeleted d:
                _log.Info("Deleted topic {0}", d.Name);
                ConfirmPartitions(Deletes(before.Topics[d.Name]), response, replyTo);
                break;
            case var other:
                throw new InvalidOperationException($"a topic operation recorded {other.GetType().Name}, which is not a topic event");
        }
    }

    /// <summary>
    /// Dynamic broker configs changed: every live replica whose config follows from them (a topic default, a throttle
    /// rate) is told, and the answer waits for them, so what the operator changed is in force when it returns.
    /// Replicas on brokers that are down get it when they return (BrokerLive).
    /// </summary>
    private void BrokerConfigsRecorded(ControllerResult result, ControllerState before, IActorRef replyTo)
    {
        var changed = result.Events.OfType<BrokerConfigsChanged>().Single();
        _log.Info("Dynamic configs of {0} are now: {1}", changed.Broker == DynamicBrokerConfig.ClusterDefault ? "the cluster default" : $"broker {changed.Broker}",
            changed.Configs.Count == 0 ? "(none)" : string.Join(", ", changed.Configs.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")));
        var commands = _state.Topics.Values.SelectMany(t => Ensures(t, t.Partitions)).Where(c => _liveBrokers.ContainsKey(c.BrokerId)).ToArray();
        var response = (AlterBrokerConfigsResponse)result.Response!;
        ConfirmPartitions(commands, response, replyTo, why => response with { Error = ErrorCode.RequestTimedOut, ErrorMessage = RecordedBut(why, "configs --describe") });
        // A cluster-wide unclean.leader.election.enable=true may give an offline partition a leader now (as in Kafka).
        Self.Tell(new ElectLeaders());
    }

    /// <summary>ACLs changed: logged, as Kafka's authorizer logs them, and answered.</summary>
    private void AclsRecorded(ControllerResult result, ControllerState before, IActorRef replyTo)
    {
        foreach (var change in result.Events.OfType<AclsChanged>())
        {
            foreach (var acl in change.Added) _log.Info("Added ACL {0}", acl);
            foreach (var acl in change.Removed) _log.Info("Removed ACL {0}", acl);
        }
        replyTo.Tell(result.Response!);
    }

    /// <summary>A command for the replica of a partition on one broker.</summary>
    private sealed record ReplicaCommand(int BrokerId, object Command);

    /// <summary>
    /// A new topic's partitions are wiped first: should an earlier topic of the same name not have finished deleting
    /// (the controller crashed meanwhile), its log must not reappear. A replica with no log just confirms.
    /// </summary>
    private ReplicaCommand[] CreationCommands(TopicState topic) =>
        Ensures(topic, topic.Partitions)
            .SelectMany(c => new[] { c with { Command = new DeletePartition(((EnsurePartition)c.Command).TopicPartition) }, c })
            .ToArray();

    private ReplicaCommand[] Ensures(TopicState topic, IEnumerable<PartitionAssignment> partitions)
    {
        var state = _pending?.Next ?? _state;
        var config = state.EffectiveTopicConfig(topic, _settings);
        return partitions.SelectMany(p =>
        {
            var tp = new TopicPartition(topic.Name, p.Partition);
            var command = new EnsurePartition(tp, config, p, EndpointOf(p.Leader), state.ControllerEpoch);
            return p.Replicas.Select(b => new ReplicaCommand(b, state.ReplicaConfig(config, tp, b) is var own && ReferenceEquals(own, config) ? command : command with { Config = own }));
        }).ToArray();
    }

    /// <summary>Where a broker's gateway is: known once it answered, else from cluster membership; null when not a member.</summary>
    private BrokerInfo? EndpointOf(int brokerId)
    {
        if (brokerId < 0) return null;
        if (_liveBrokers.TryGetValue(brokerId, out var info)) return info;
        return _members.Current().TryGetValue(brokerId, out var member) ? new BrokerInfo(brokerId, member.Address.Host!, member.Address.Port!.Value) : null;
    }

    private static ReplicaCommand[] Deletes(TopicState topic) =>
        topic.Partitions.SelectMany(p => p.Replicas.Select(b => new ReplicaCommand(b, new DeletePartition(new TopicPartition(topic.Name, p.Partition))))).ToArray();

    /// <summary>
    /// Sends a command to a replica through its own broker's gateway: a broker's replica shard is only ever asked for
    /// by its own node, so sharding can never place it anywhere else, even before the pinned location has spread.
    /// </summary>
    private Task<PartitionStateAck> AskReplica(ReplicaCommand c, TimeSpan timeout)
    {
        if (!_liveBrokers.TryGetValue(c.BrokerId, out var broker))
            return Task.FromException<PartitionStateAck>(new InvalidOperationException($"broker {c.BrokerId} is not live"));
        return c.BrokerId == _localBroker?.BrokerId
            ? _partitionRegion.Ask<PartitionStateAck>(c.Command, timeout)
            : Context.ActorSelection(GatewayPath(broker)).Ask<PartitionStateAck>(c.Command, timeout);
    }

    private string GatewayPath(BrokerInfo b) => Gateway.BrokerGateway.GatewayPath(Context.System, b.Host, b.Port);

    /// <summary>Sends the commands to the replicas and replies once all confirmed, or with REQUEST_TIMED_OUT.</summary>
    private void ConfirmPartitions(ReplicaCommand[] commands, TopicOperationResponse reply, IActorRef replyTo) =>
        ConfirmPartitions(commands, reply, replyTo, why => reply with { Error = ErrorCode.RequestTimedOut, ErrorMessage = RecordedBut(why, "topics describe") });

    private static string RecordedBut(string why, string check) =>
        $"The change was recorded, but {why}. Partition state is re-sent when the controller restarts; check with {check}.";

    /// <summary>Sends <paramref name="commands"/>; once all replicas confirmed, answers <paramref name="reply"/>, else what <paramref name="failed"/> makes of why not.</summary>
    private void ConfirmPartitions(ReplicaCommand[] commands, object reply, IActorRef replyTo, Func<string, object> failed)
    {
        var timeout = _settings.AdminTimeout;
        var asks = commands.Select(c => AskReplica(c, timeout)).ToArray();
        Task.WhenAll(asks).ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully && t.Result.All(a => a.Error == ErrorCode.None))
                return new PartitionsConfirmed(reply, replyTo, null);
            var why = t.IsCompletedSuccessfully
                ? string.Join("; ", t.Result.Where(a => a.Error != ErrorCode.None).Select(a => $"{a.TopicPartition}: {a.ErrorMessage}"))
                : $"not every partition replica confirmed within {timeout.TotalSeconds:0.#} s ({t.Exception?.GetBaseException().Message})";
            return new PartitionsConfirmed(failed(why), replyTo, why);
        }).PipeTo(Self);
    }
}
