#nullable disable
using static DropIn.Samples.SampleSupport;

namespace DropIn.Samples;

/// <summary>
/// Consumer group administration while a member is active and after it closes: ListConsumerGroupsAsync and
/// DescribeConsumerGroupsAsync (states, members, their client ids, member ids and assignments).
/// </summary>
public static class AdminGroupsSample
{
    public static async Task RunAsync(string bootstrapServers, string topic)
    {
        await CreateTopicAsync(bootstrapServers, topic, partitions: 2);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = bootstrapServers }).Build())
            await producer.ProduceAsync(topic, new Message<Null, string> { Value = "hello group" });

        var groupId = "dropin-admin-group-" + Guid.NewGuid().ToString("N");
        var consumerConfig = new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = groupId,
            ClientId = "dropin-admin-groups",
            AutoOffsetReset = AutoOffsetReset.Earliest,
        };
        using var consumer = new ConsumerBuilder<Ignore, string>(consumerConfig).Build();
        consumer.Subscribe(topic);
        WaitUntil(() => consumer.Consume(200) != null, TimeSpan.FromSeconds(30), "the member to join and read the record");

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build();
        ListConsumerGroupsResult listed = await admin.ListConsumerGroupsAsync();
        var listing = listed.Valid.SingleOrDefault(g => g.GroupId == groupId);
        Expect(listing != null && listing.State == ConsumerGroupState.Stable && !listing.IsSimpleConsumerGroup, $"the group listed as Stable, got {listing?.State}");

        var described = await admin.DescribeConsumerGroupsAsync(new[] { groupId });
        ConsumerGroupDescription group = described.ConsumerGroupDescriptions.Single();
        Expect(group.GroupId == groupId && group.State == ConsumerGroupState.Stable && !string.IsNullOrEmpty(group.PartitionAssignor), $"a Stable group with an assignor, got {group.State}");
        Expect(group.Members.Count == 1, $"one member, got {group.Members.Count}");
        MemberDescription member = group.Members[0];
        Expect(member.ConsumerId == consumer.MemberId && member.ClientId == "dropin-admin-groups", $"the member {consumer.MemberId}, got {member.ConsumerId} ({member.ClientId})");
        Expect(member.Assignment.TopicPartitions.Count == 2 && member.Assignment.TopicPartitions.All(tp => tp.Topic == topic), "both partitions assigned to it");

        consumer.Close(); // commits (auto-commit is on) and leaves
        var deadline = DateTime.UtcNow.AddSeconds(15);
        ConsumerGroupDescription after;
        while ((after = (await admin.DescribeConsumerGroupsAsync(new[] { groupId })).ConsumerGroupDescriptions.Single()).State != ConsumerGroupState.Empty)
        {
            Expect(DateTime.UtcNow < deadline, $"the group Empty once its member left, still {after.State}");
            await Task.Delay(100);
        }
        Expect(after.Members.Count == 0, "no members after Close");
    }
}
