using AkkaBroker.Client;
using AkkaBroker.Client.Admin;

namespace AkkaBroker.Tests;

/// <summary>One-topic and one-group forms of the admin calls the tests make often; failures are the admin API's own exceptions.</summary>
internal static class AdminShortcuts
{
    public static ConfigResource Topic(string name) => new() { Type = ResourceType.Topic, Name = name };

    /// <summary>A topic's configs, defaults included.</summary>
    public static async Task<IReadOnlyList<ConfigEntryResult>> DescribeConfigsAsync(this IAdminClient admin, string topic) =>
        (await admin.DescribeConfigsAsync([Topic(topic)])).Single().Entries.Values.ToList();

    /// <summary>Sets the keys of <paramref name="set"/> and returns those of <paramref name="delete"/> to their defaults.</summary>
    public static Task IncrementalAlterConfigsAsync(this IAdminClient admin, string topic, IReadOnlyDictionary<string, string> set, IEnumerable<string>? delete = null) =>
        admin.IncrementalAlterConfigsAsync(new()
        {
            [Topic(topic)] = set.Select(kv => new ConfigEntry { Name = kv.Key, Value = kv.Value, IncrementalOperation = AlterConfigOpType.Set })
                .Concat((delete ?? []).Select(k => new ConfigEntry { Name = k, IncrementalOperation = AlterConfigOpType.Delete })).ToList(),
        });

    public static Task CreatePartitionsAsync(this IAdminClient admin, string topic, int totalCount) =>
        admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = topic, IncreaseTo = totalCount }]);

    public static Task AlterConsumerGroupOffsetsAsync(this IAdminClient admin, string group, IEnumerable<TopicPartitionOffset> offsets) =>
        admin.AlterConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitionOffsets(group, offsets.ToList())]);

    public static Task DeleteConsumerGroupAsync(this IAdminClient admin, string group) => admin.DeleteGroupsAsync([group]);

    /// <summary>The ids of the groups that exist.</summary>
    public static async Task<List<string>> GroupIdsAsync(this IAdminClient admin) =>
        (await admin.ListConsumerGroupsAsync()).Valid.Select(g => g.GroupId).ToList();
}
