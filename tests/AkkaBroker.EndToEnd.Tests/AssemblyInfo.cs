using Xunit;

// Each test starts real broker and client processes; on a two-core machine, running them side by side makes the
// timing-sensitive ones (failover, cooperative rebalance windows) measure the machine's overload instead.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
