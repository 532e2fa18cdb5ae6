using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Groups;

/// <summary>
/// Kafka's "sticky": as balanced as the subscriptions allow, and subject to that, moving as few partitions as
/// possible away from the members that owned them, so consumers keep their caches and local state.
/// </summary>
internal sealed class StickyAssignor : IPartitionAssignor
{
    public string Name => "sticky";

    public bool Cooperative => false;

    public IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> Assign(
        IReadOnlyList<AssignorMember> members, IReadOnlyDictionary<string, int> partitionCountByTopic) =>
        AssignorSupport.Seal(StickyPlanner.Plan(AssignorSupport.Ordered(members), partitionCountByTopic));
}

/// <summary>
/// The sticky plan, shared with cooperative-sticky, which only withholds part of it.
/// </summary>
/// <remarks>
/// Two paths. When every member subscribes to the same topics, quotas are known up front (floor or ceil of
/// partitions/members) and one pass suffices. Otherwise "balanced" depends on who can take what, so the plan is
/// a small min-cost flow: loads are made as even as the subscriptions allow (convex cost per extra partition on
/// a member), and among those the number of partitions a member keeps is maximised (a unit cost for each
/// partition that is not one it owned). Both paths give a fixed point: if every owned set is a subset of an
/// earlier plan for the same group, nothing owned moves, which is what makes cooperative-sticky converge in two
/// rebalances.
/// </remarks>
internal static class StickyPlanner
{
    /// <summary>Plans for <paramref name="ordered"/>, which must already be in member order (it breaks ties).</summary>
    public static Dictionary<string, List<TopicPartition>> Plan(AssignorMember[] ordered, IReadOnlyDictionary<string, int> partitionCountByTopic)
    {
        var result = AssignorSupport.EmptyLists(ordered);
        if (ordered.Length == 0) return result;

        var subscriptions = ordered.Select(m => AssignorSupport.ExistingTopics(m, partitionCountByTopic)).ToArray();
        var owned = ClaimOwned(ordered, subscriptions, partitionCountByTopic);

        var lists = subscriptions.All(s => s.SetEquals(subscriptions[0]))
            ? PlanEqualSubscriptions(subscriptions[0], owned, partitionCountByTopic)
            : PlanByFlow(subscriptions, owned, partitionCountByTopic);

        for (var i = 0; i < ordered.Length; i++) result[ordered[i].MemberId] = lists[i];
        return result;
    }

    /// <summary>
    /// Each member's owned partitions that it may keep: still subscribed, still existing, and not claimed by an
    /// earlier member (two claims happen when a member missed a rebalance; the earlier one in member order wins).
    /// Sorted, so that which ones a member keeps when over quota is deterministic.
    /// </summary>
    private static List<TopicPartition>[] ClaimOwned(
        AssignorMember[] ordered, HashSet<string>[] subscriptions, IReadOnlyDictionary<string, int> partitionCountByTopic)
    {
        var claimed = new HashSet<TopicPartition>();
        var owned = new List<TopicPartition>[ordered.Length];
        for (var i = 0; i < ordered.Length; i++)
        {
            var candidates = ordered[i].OwnedPartitions.ToArray();
            Array.Sort(candidates, AssignorSupport.PartitionOrder);
            owned[i] = [];
            foreach (var tp in candidates)
            {
                if (subscriptions[i].Contains(tp.Topic)
                    && tp.Partition >= 0 && tp.Partition < partitionCountByTopic[tp.Topic]
                    && claimed.Add(tp))
                {
                    owned[i].Add(tp);
                }
            }
        }
        return owned;
    }

    /// <summary>
    /// Equal subscriptions: every member ends with floor(P/M) partitions and P mod M of them with one more.
    /// A member keeps its owned partitions up to its quota; members that owned more than the floor take the
    /// extra slots first, in member order, since that keeps the most partitions where they were.
    /// </summary>
    private static List<TopicPartition>[] PlanEqualSubscriptions(
        HashSet<string> topics, List<TopicPartition>[] owned, IReadOnlyDictionary<string, int> partitionCountByTopic)
    {
        var memberCount = owned.Length;
        var all = AllPartitions(topics, partitionCountByTopic);
        var minQuota = all.Count / memberCount;
        var extraSlots = all.Count % memberCount;

        var lists = new List<TopicPartition>[memberCount];
        var kept = new HashSet<TopicPartition>();
        for (var i = 0; i < memberCount; i++)
        {
            int keep;
            if (owned[i].Count > minQuota && extraSlots > 0)
            {
                keep = minQuota + 1;
                extraSlots--;
            }
            else
            {
                keep = Math.Min(owned[i].Count, minQuota);
            }
            lists[i] = owned[i].GetRange(0, keep);
            kept.UnionWith(lists[i]);
        }

        // Dealt round-robin rather than in runs so that a fresh group gets each topic spread across its members.
        var dealer = 0;
        foreach (var tp in all)
        {
            if (kept.Contains(tp)) continue;
            for (var tried = 0; ; tried++)
            {
                if (tried == memberCount) throw new InvalidOperationException("Sticky assignor ran out of quota; this is a bug.");
                var i = dealer;
                dealer = (dealer + 1) % memberCount;
                var load = lists[i].Count;
                if (load < minQuota)
                {
                    lists[i].Add(tp);
                    break;
                }
                if (load == minQuota && extraSlots > 0)
                {
                    lists[i].Add(tp);
                    extraSlots--;
                    break;
                }
            }
        }
        return lists;
    }

    /// <summary>
    /// Unequal subscriptions, as a min-cost flow from topics to members. Partitions of one topic are
    /// interchangeable apart from who owned them, so the flow works on counts per (topic, member) and only then
    /// picks partitions: owned ones first, the rest dealt from what nobody kept.
    /// </summary>
    private static List<TopicPartition>[] PlanByFlow(
        HashSet<string>[] subscriptions, List<TopicPartition>[] owned, IReadOnlyDictionary<string, int> partitionCountByTopic)
    {
        var topics = AssignorSupport.SortedUnion(subscriptions);
        var flow = new CountFlow(topics, subscriptions, owned, partitionCountByTopic);
        flow.Solve();

        var memberCount = subscriptions.Length;
        var lists = new List<TopicPartition>[memberCount];
        for (var i = 0; i < memberCount; i++) lists[i] = [];

        var need = new int[memberCount];
        for (var t = 0; t < topics.Length; t++)
        {
            var topic = topics[t];
            var kept = new HashSet<int>();
            for (var m = 0; m < memberCount; m++)
            {
                var total = flow.Assigned(t, m);
                var keep = 0;
                foreach (var tp in owned[m])
                {
                    if (keep == total) break;
                    if (tp.Topic != topic) continue;
                    lists[m].Add(tp);
                    kept.Add(tp.Partition);
                    keep++;
                }
                need[m] = total - keep;
            }

            var dealer = 0;
            for (var p = 0; p < partitionCountByTopic[topic]; p++)
            {
                if (kept.Contains(p)) continue;
                for (var tried = 0; need[dealer] == 0; tried++)
                {
                    if (tried == memberCount) throw new InvalidOperationException("Sticky assignor flow is inconsistent; this is a bug.");
                    dealer = (dealer + 1) % memberCount;
                }
                lists[dealer].Add(new TopicPartition(topic, p));
                need[dealer]--;
                dealer = (dealer + 1) % memberCount;
            }
        }
        return lists;
    }

    private static List<TopicPartition> AllPartitions(IEnumerable<string> topics, IReadOnlyDictionary<string, int> partitionCountByTopic)
    {
        var all = new List<TopicPartition>();
        foreach (var topic in topics.OrderBy(t => t, StringComparer.Ordinal))
        {
            for (var p = 0; p < partitionCountByTopic[topic]; p++) all.Add(new TopicPartition(topic, p));
        }
        return all;
    }

    /// <summary>
    /// Successive shortest paths, one partition at a time, over: source -> topic (capacity = its partitions) ->
    /// member (an arc for partitions the member owned, cost 0, capped at how many it owned; and an arc for any
    /// other, cost 1) -> sink (the k-th partition on a member costs k * Big). Big exceeds any possible total of the
    /// unit costs, so evenness always wins over stickiness. Sizes are topics + members nodes, so a plain
    /// queue-based Bellman-Ford per step is enough.
    /// </summary>
    private sealed class CountFlow
    {
        private readonly int _topicCount;
        private readonly int _memberCount;
        private readonly int[] _size;
        private readonly bool[,] _subscribed;
        private readonly int[,] _ownedCap;
        private readonly int[,] _viaOwned;
        private readonly int[,] _viaOther;
        private readonly int[] _supplied;
        private readonly int[] _load;

        public CountFlow(string[] topics, HashSet<string>[] subscriptions, List<TopicPartition>[] owned,
            IReadOnlyDictionary<string, int> partitionCountByTopic)
        {
            _topicCount = topics.Length;
            _memberCount = subscriptions.Length;
            _size = topics.Select(t => partitionCountByTopic[t]).ToArray();
            _subscribed = new bool[_topicCount, _memberCount];
            _ownedCap = new int[_topicCount, _memberCount];
            _viaOwned = new int[_topicCount, _memberCount];
            _viaOther = new int[_topicCount, _memberCount];
            _supplied = new int[_topicCount];
            _load = new int[_memberCount];

            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var t = 0; t < topics.Length; t++) index[topics[t]] = t;
            for (var m = 0; m < _memberCount; m++)
            {
                foreach (var topic in subscriptions[m]) _subscribed[index[topic], m] = true;
                foreach (var tp in owned[m]) _ownedCap[index[tp.Topic], m]++;
            }
        }

        /// <summary>How many partitions of topic <paramref name="t"/> member <paramref name="m"/> ends with.</summary>
        public int Assigned(int t, int m) => _viaOwned[t, m] + _viaOther[t, m];

        public void Solve()
        {
            long units = _size.Sum(s => (long)s);
            var big = units + 1;
            var nodes = _topicCount + _memberCount;
            var dist = new long[nodes];
            var pred = new int[nodes];        // the node we came from; -1 for a topic fed straight from the source
            var predViaOwned = new bool[nodes];
            var inQueue = new bool[nodes];
            var visits = new int[nodes];
            var queue = new Queue<int>();

            for (long unit = 0; unit < units; unit++)
            {
                Array.Fill(dist, long.MaxValue);
                Array.Fill(visits, 0);
                for (var t = 0; t < _topicCount; t++)
                {
                    if (_supplied[t] < _size[t])
                    {
                        dist[t] = 0;
                        pred[t] = -1;
                        queue.Enqueue(t);
                        inQueue[t] = true;
                    }
                }

                while (queue.Count > 0)
                {
                    var u = queue.Dequeue();
                    inQueue[u] = false;
                    // Successive shortest paths never leave a negative cycle, so this only trips on a bug.
                    if (++visits[u] > nodes + 1) throw new InvalidOperationException("Sticky assignor flow found a negative cycle; this is a bug.");
                    if (u < _topicCount)
                    {
                        var t = u;
                        for (var m = 0; m < _memberCount; m++)
                        {
                            if (!_subscribed[t, m]) continue;
                            var v = _topicCount + m;
                            if (_viaOwned[t, m] < _ownedCap[t, m]) Relax(u, v, dist[u], viaOwned: true);
                            Relax(u, v, dist[u] + 1, viaOwned: false);
                        }
                    }
                    else
                    {
                        // Backwards along arcs that carry flow: the member gives a partition of that topic back.
                        var m = u - _topicCount;
                        for (var t = 0; t < _topicCount; t++)
                        {
                            if (!_subscribed[t, m]) continue;
                            if (_viaOwned[t, m] > 0) Relax(u, t, dist[u], viaOwned: true);
                            if (_viaOther[t, m] > 0) Relax(u, t, dist[u] - 1, viaOwned: false);
                        }
                    }
                }

                var best = -1;
                var bestCost = long.MaxValue;
                for (var m = 0; m < _memberCount; m++)
                {
                    var d = dist[_topicCount + m];
                    if (d == long.MaxValue) continue;
                    var cost = d + (_load[m] + 1) * big;
                    if (cost < bestCost)
                    {
                        bestCost = cost;
                        best = m;
                    }
                }
                if (best < 0) throw new InvalidOperationException("Sticky assignor flow found no path; this is a bug.");

                _load[best]++;
                var node = _topicCount + best;
                while (true)
                {
                    var from = pred[node];
                    if (node >= _topicCount)
                    {
                        var (t, m) = (from, node - _topicCount);
                        if (predViaOwned[node]) _viaOwned[t, m]++;
                        else _viaOther[t, m]++;
                    }
                    else if (from < 0)
                    {
                        _supplied[node]++;
                        break;
                    }
                    else
                    {
                        var (t, m) = (node, from - _topicCount);
                        if (predViaOwned[node]) _viaOwned[t, m]--;
                        else _viaOther[t, m]--;
                    }
                    node = from;
                }
            }

            void Relax(int u, int v, long candidate, bool viaOwned)
            {
                if (candidate >= dist[v]) return;
                dist[v] = candidate;
                pred[v] = u;
                predViaOwned[v] = viaOwned;
                if (!inQueue[v])
                {
                    queue.Enqueue(v);
                    inQueue[v] = true;
                }
            }
        }
    }
}
