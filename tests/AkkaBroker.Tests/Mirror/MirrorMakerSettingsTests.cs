using AkkaBroker.Client;
using AkkaBroker.Mirror;
using Xunit;

namespace AkkaBroker.Tests.Mirror;

/// <summary>The mirror's settings from its command line and its two client properties files: what it forces, its defaults, and every refusal.</summary>
public class MirrorMakerSettingsTests
{
    private static readonly MirrorMakerOptions Options = new()
    {
        ConsumerConfig = "/etc/mirror/consumer.properties", ProducerConfig = "/etc/mirror/producer.properties", Include = ".*",
    };

    private static Dictionary<string, string> Consumer(params (string Key, string Value)[] extra) =>
        With(new() { ["bootstrap.servers"] = "source-1:9192", ["group.id"] = "mirror" }, extra);

    private static Dictionary<string, string> Producer(params (string Key, string Value)[] extra) =>
        With(new() { ["bootstrap.servers"] = "target-1:9292" }, extra);

    private static Dictionary<string, string> With(Dictionary<string, string> map, (string Key, string Value)[] extra)
    {
        foreach (var (k, v) in extra) map[k] = v;
        return map;
    }

    private static MirrorMakerSettings Create(MirrorMakerOptions? options = null, Dictionary<string, string>? consumer = null,
        Dictionary<string, string>? producer = null) =>
        MirrorMakerSettings.Create(options ?? Options, consumer ?? Consumer(), producer ?? Producer());

    private static MirrorMakerConfigException Refused(MirrorMakerOptions? options = null, Dictionary<string, string>? consumer = null,
        Dictionary<string, string>? producer = null) =>
        Assert.Throws<MirrorMakerConfigException>(() => Create(options, consumer, producer));

    // ---- Defaults and forced values ----

    [Fact]
    public void Defaults_are_kafka_mirror_makers()
    {
        var s = Create();
        Assert.Equal(1, s.NumStreams);
        Assert.Equal(TimeSpan.FromMilliseconds(60000), s.OffsetCommitInterval);
        Assert.True(s.AbortOnSendFailure);
        Assert.Equal("mirror", s.GroupId);
        Assert.Equal("IdentityReplicationPolicy", s.Policy.Name);
        Assert.Equal(AutoOffsetReset.Earliest, s.AutoOffsetReset);
        Assert.Empty(s.Adjustments);
        Assert.True(s.Checkpoints.Enabled);
        Assert.False(s.Checkpoints.SyncGroupOffsets);
        Assert.Equal(TimeSpan.FromSeconds(60), s.Checkpoints.Interval);
        Assert.Equal(TimeSpan.FromSeconds(1), s.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(600), s.TopicConfigSyncInterval);
        Assert.Equal("source", s.SourceClusterName);
    }

    [Fact]
    public void Consumers_look_for_added_partitions_every_5_s_unless_the_file_says_otherwise()
    {
        Assert.Equal("5000", Create().ConsumerConfigFor(0).Get("metadata.max.age.ms"));
        var consumer = Consumer();
        consumer["metadata.max.age.ms"] = "60000";
        Assert.Equal("60000", Create(consumer: consumer).ConsumerConfigFor(0).Get("metadata.max.age.ms"));
    }

    [Fact]
    public void Group_translation_and_heartbeat_options_are_checked()
    {
        Assert.Equal("--emit.checkpoints.interval.seconds", Refused(Options with { EmitCheckpointsIntervalSeconds = 0 }).Key);
        Assert.Equal("--sync.group.offsets.enabled", Refused(Options with { SyncGroupOffsetsEnabled = true, EmitCheckpointsEnabled = false }).Key);
        Assert.Equal("--groups", Refused(Options with { Groups = "(" }).Key);
        Assert.Equal("--emit.heartbeats.interval.seconds", Refused(Options with { EmitHeartbeatsIntervalSeconds = -1 }).Key);
        Assert.Null(Create(Options with { EmitHeartbeatsEnabled = false }).HeartbeatInterval);
        var groups = Create(Options with { Groups = "app-.*" }).Checkpoints.Groups;
        Assert.True(groups.IsIncluded("app-1"));
        Assert.False(groups.IsIncluded("connect-app-1"));
        Assert.False(Create().Checkpoints.Groups.IsIncluded("console-consumer-42"));
    }

    [Fact]
    public void The_producer_is_forced_to_acks_all_idempotence_and_at_most_5_requests_in_flight()
    {
        var p = Create().ProducerProperties;
        Assert.Equal("all", p["acks"]);
        Assert.Equal("true", p["enable.idempotence"]);
        Assert.Equal("5", p["max.in.flight.requests.per.connection"]);
        var config = Create().ProducerConfig();
        Assert.Equal(Acks.All, config.Acks);
        Assert.True(config.EnableIdempotence);
        Assert.Equal("target-1:9292", config.BootstrapServers);
    }

    [Theory]
    [InlineData("all")]
    [InlineData("ALL")]
    [InlineData("-1")]
    [InlineData(" all ")]
    public void Acks_all_written_any_of_kafkas_ways_is_accepted(string acks)
    {
        Assert.Equal("all", Create(producer: Producer(("acks", acks))).ProducerProperties["acks"]);
    }

    [Fact]
    public void Explicit_idempotence_true_is_accepted()
    {
        Assert.Equal("true", Create(producer: Producer(("enable.idempotence", "True"))).ProducerProperties["enable.idempotence"]);
    }

    [Fact]
    public void Fewer_than_5_requests_in_flight_are_kept_and_more_are_lowered_to_5_with_a_note()
    {
        Assert.Equal("2", Create(producer: Producer(("max.in.flight.requests.per.connection", "2"))).ProducerProperties["max.in.flight.requests.per.connection"]);

        var s = Create(producer: Producer(("max.in.flight.requests.per.connection", "10")));

        Assert.Equal("5", s.ProducerProperties["max.in.flight.requests.per.connection"]);
        var note = Assert.Single(s.Adjustments);
        Assert.Contains("lowered from 10 to 5", note);
        Assert.Contains("/etc/mirror/producer.properties", note);
    }

    [Fact]
    public void The_consumer_never_auto_commits_and_meets_deleted_offsets_as_errors()
    {
        var s = Create();
        Assert.Equal("false", s.ConsumerProperties["enable.auto.commit"]);
        Assert.Equal("none", s.ConsumerProperties["auto.offset.reset"]);
        Assert.False(s.ConsumerConfigFor(0).EnableAutoCommit);
        Assert.Equal(AutoOffsetReset.Error, s.ConsumerConfigFor(0).AutoOffsetReset);
    }

    [Theory]
    [InlineData("earliest", AutoOffsetReset.Earliest)]
    [InlineData("Latest", AutoOffsetReset.Latest)]
    [InlineData("none", AutoOffsetReset.Error)]
    public void The_files_auto_offset_reset_says_where_a_partition_without_a_committed_offset_starts(string value, AutoOffsetReset expected)
    {
        var s = Create(consumer: Consumer(("auto.offset.reset", value)));
        Assert.Equal(expected, s.AutoOffsetReset);
        Assert.Equal("none", s.ConsumerProperties["auto.offset.reset"]);
    }

    [Fact]
    public void Explicit_enable_auto_commit_false_is_accepted()
    {
        Assert.Equal("false", Create(consumer: Consumer(("enable.auto.commit", "FALSE"))).ConsumerProperties["enable.auto.commit"]);
    }

    [Fact]
    public void Serializer_and_deserializer_classes_are_dropped_with_a_note_because_records_are_copied_as_bytes()
    {
        var s = Create(
            consumer: Consumer(("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer"),
                ("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer")),
            producer: Producer(("key.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer")));
        Assert.DoesNotContain("key.deserializer", s.ConsumerProperties.Keys);
        Assert.DoesNotContain("value.deserializer", s.ConsumerProperties.Keys);
        Assert.DoesNotContain("key.serializer", s.ProducerProperties.Keys);
        Assert.Equal(3, s.Adjustments.Count);
        Assert.All(s.Adjustments, a => Assert.Contains("as bytes", a));
    }

    [Fact]
    public void Other_client_keys_pass_through_to_the_clients()
    {
        var s = Create(consumer: Consumer(("fetch.min.bytes", "1024")), producer: Producer(("linger.ms", "20"), ("compression.type", "lz4")));
        Assert.Equal(1024, s.ConsumerConfigFor(0).FetchMinBytes);
        Assert.Equal(20, s.ProducerConfig().LingerMs);
        Assert.Equal(CompressionType.Lz4, s.ProducerConfig().CompressionType);
    }

    [Fact]
    public void Kafkas_assignor_class_names_are_read_as_the_clients_short_names_with_a_note()
    {
        var s = Create(consumer: Consumer(("partition.assignment.strategy",
            "org.apache.kafka.clients.consumer.RoundRobinAssignor, org.apache.kafka.clients.consumer.CooperativeStickyAssignor")));
        Assert.Equal("roundrobin,cooperative-sticky", s.ConsumerConfigFor(0).Get("partition.assignment.strategy"));
        Assert.Contains("read as roundrobin,cooperative-sticky", Assert.Single(s.Adjustments));

        var shortNames = Create(consumer: Consumer(("partition.assignment.strategy", "range")));
        Assert.Equal("range", shortNames.ConsumerProperties["partition.assignment.strategy"]);
        Assert.Empty(shortNames.Adjustments);
    }

    [Fact]
    public void Each_stream_gets_its_own_client_id_after_the_group_id_as_in_kafka()
    {
        var s = Create(Options with { NumStreams = 3 });
        Assert.Equal(["mirror-0", "mirror-1", "mirror-2"], Enumerable.Range(0, 3).Select(i => s.ConsumerConfigFor(i).ClientId));
        Assert.Equal("mirror", s.ConsumerConfigFor(2).GroupId);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.ConsumerConfigFor(3));
    }

    [Fact]
    public void A_given_client_id_and_group_instance_id_get_the_stream_number_so_that_members_do_not_fence_each_other()
    {
        var s = Create(Options with { NumStreams = 2 }, consumer: Consumer(("client.id", "mm"), ("group.instance.id", "mm-host-a")));
        Assert.Equal(("mm-1", "mm-host-a-1"), (s.ConsumerConfigFor(1).ClientId, s.ConsumerConfigFor(1).GroupInstanceId));
        Assert.Null(Create().ConsumerConfigFor(0).GroupInstanceId);
    }

    [Fact]
    public void The_command_lines_values_are_taken()
    {
        var s = Create(Options with { NumStreams = 4, OffsetCommitIntervalMs = 5000, AbortOnSendFailure = false, Exclude = "tmp.*" });
        Assert.Equal(4, s.NumStreams);
        Assert.Equal(TimeSpan.FromSeconds(5), s.OffsetCommitInterval);
        Assert.False(s.AbortOnSendFailure);
        Assert.False(s.ShouldMirror("tmp-1"));
        Assert.True(s.ShouldMirror("orders"));
    }

    [Fact]
    public void Include_wins_over_whitelist_and_exclude_over_blacklist_as_in_kafka()
    {
        var s = Create(Options with { Include = "orders", Whitelist = "payments", Exclude = "x", Blacklist = "orders" });
        Assert.True(s.ShouldMirror("orders"));
        Assert.False(s.ShouldMirror("payments"));
        var old = Create(Options with { Include = null, Whitelist = "orders,payments", Blacklist = "payments" });
        Assert.True(old.ShouldMirror("orders"));
        Assert.False(old.ShouldMirror("payments"));
    }

    [Fact]
    public void Internal_topics_are_not_mirrored_even_when_the_filter_includes_them()
    {
        var s = Create();
        Assert.False(s.ShouldMirror("__consumer_offsets"));
        Assert.False(s.ShouldMirror("heartbeats"));
    }

    [Theory]
    [InlineData("DefaultReplicationPolicy")]
    [InlineData("org.apache.kafka.connect.mirror.DefaultReplicationPolicy")]
    [InlineData("default")]
    public void The_prefixed_policy_is_chosen_by_kafkas_class_name_and_takes_aliases_separator_and_heartbeats_name(string className)
    {
        var s = Create(Options with
        {
            ReplicationPolicyClass = className, SourceClusterAlias = "us-west", TargetClusterAlias = "us-east",
            ReplicationPolicySeparator = "_", HeartbeatsTopicName = "mm-heartbeats",
        });
        Assert.Equal("us-west_orders", s.Policy.TargetTopic("orders"));
        Assert.False(s.ShouldMirror("us-east_orders"));
        Assert.False(s.ShouldMirror("mm-heartbeats"));
    }

    [Theory]
    [InlineData("IdentityReplicationPolicy")]
    [InlineData("org.apache.kafka.connect.mirror.IdentityReplicationPolicy")]
    [InlineData("identity")]
    public void The_identity_policy_is_chosen_by_kafkas_class_name(string className)
    {
        Assert.True(Create(Options with { ReplicationPolicyClass = className }).Policy.KeepsTopicNames);
    }

    [Fact]
    public void A_prefixed_policy_may_mirror_into_the_same_cluster_under_another_name()
    {
        var s = Create(Options with { ReplicationPolicyClass = "DefaultReplicationPolicy", SourceClusterAlias = "a", TargetClusterAlias = "b" },
            producer: Producer(("bootstrap.servers", "source-1:9192")));
        Assert.Equal("a.orders", s.Policy.TargetTopic("orders"));
    }

    [Fact]
    public void Load_reads_both_properties_files()
    {
        var dir = Directory.CreateTempSubdirectory("mirror-settings-");
        try
        {
            var consumer = Path.Combine(dir.FullName, "consumer.properties");
            var producer = Path.Combine(dir.FullName, "producer.properties");
            File.WriteAllText(consumer, "# source\nbootstrap.servers=source-1:9192\ngroup.id=mm\n");
            File.WriteAllText(producer, "bootstrap.servers = target-1:9292\nlinger.ms: 10\n");

            var s = MirrorMakerSettings.Load(Options with { ConsumerConfig = consumer, ProducerConfig = producer });

            Assert.Equal("mm", s.GroupId);
            Assert.Equal("target-1:9292", s.ProducerConfig().BootstrapServers);
            Assert.Equal(10, s.ProducerConfig().LingerMs);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    // ---- Refusals ----

    private static void AssertNames(MirrorMakerConfigException e, string key, string? value, params string[] mentions)
    {
        Assert.Equal(key, e.Key);
        Assert.Equal(value, e.Value);
        Assert.Contains(key, e.Message);
        if (value != null) Assert.Contains(value, e.Message);
        foreach (var m in mentions) Assert.Contains(m, e.Message);
    }

    [Fact]
    public void A_missing_properties_file_is_refused_naming_the_option_and_the_path()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-{Guid.NewGuid():N}.properties");
        var e = Assert.Throws<MirrorMakerConfigException>(() => MirrorMakerSettings.Load(Options with { ConsumerConfig = missing }));
        AssertNames(e, "--consumer.config", missing, "cannot be read");
    }

    [Fact]
    public void A_properties_file_not_given_is_refused()
    {
        var e = Assert.Throws<MirrorMakerConfigException>(() => MirrorMakerSettings.Load(Options with { ProducerConfig = null }));
        AssertNames(e, "--producer.config", null, "is missing");
    }

    [Fact]
    public void A_properties_file_with_a_malformed_escape_is_refused_naming_the_line()
    {
        var file = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.properties");
        File.WriteAllText(file, "bootstrap.servers=a:1\ngroup.id=\\u12\n");
        try
        {
            var e = Assert.Throws<MirrorMakerConfigException>(() => MirrorMakerSettings.Load(Options with { ConsumerConfig = file }));
            AssertNames(e, "--consumer.config", file, "line 2");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_missing_group_id_is_refused_saying_what_it_is_for()
    {
        var consumer = Consumer();
        consumer.Remove("group.id");
        AssertNames(Refused(consumer: consumer), "group.id", null, "consumer.config /etc/mirror/consumer.properties", "one consumer group", "is missing");
    }

    [Fact]
    public void An_empty_group_id_is_refused()
    {
        AssertNames(Refused(consumer: Consumer(("group.id", " "))), "group.id", " ", "empty");
    }

    [Fact]
    public void A_missing_bootstrap_servers_is_refused_on_the_consumer_side()
    {
        var consumer = Consumer();
        consumer.Remove("bootstrap.servers");
        AssertNames(Refused(consumer: consumer), "bootstrap.servers", null, "consumer.config", "source cluster");
    }

    [Fact]
    public void A_missing_bootstrap_servers_is_refused_on_the_producer_side()
    {
        var producer = Producer();
        producer.Remove("bootstrap.servers");
        AssertNames(Refused(producer: producer), "bootstrap.servers", null, "producer.config /etc/mirror/producer.properties", "target cluster");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-2)]
    public void Fewer_than_one_stream_is_refused(int streams)
    {
        AssertNames(Refused(Options with { NumStreams = streams }), "--num.streams", streams.ToString(), "at least 1");
    }

    [Fact]
    public void A_negative_commit_interval_is_refused()
    {
        AssertNames(Refused(Options with { OffsetCommitIntervalMs = -1 }), "--offset.commit.interval.ms", "-1", "0 or more");
    }

    [Fact]
    public void No_include_expression_is_refused_with_an_example()
    {
        AssertNames(Refused(Options with { Include = null }), "--include", null, "--include '.*'", "--whitelist");
    }

    [Fact]
    public void An_invalid_include_regex_is_refused_naming_the_option_used()
    {
        AssertNames(Refused(Options with { Include = "orders[" }), "--include", "orders[", "not a valid regular expression");
        AssertNames(Refused(Options with { Include = null, Whitelist = "(x" }), "--whitelist", "(x", "not a valid regular expression");
    }

    [Fact]
    public void An_invalid_exclude_regex_is_refused_naming_the_option_used()
    {
        AssertNames(Refused(Options with { Exclude = "*tmp" }), "--exclude", "*tmp", "not a valid regular expression");
        AssertNames(Refused(Options with { Blacklist = "tmp[" }), "--blacklist", "tmp[", "not a valid regular expression");
    }

    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    [InlineData("leader")]
    public void Acks_other_than_all_is_refused_saying_that_the_mirror_forces_acks_all_and_why(string acks)
    {
        AssertNames(Refused(producer: Producer(("acks", acks))), "acks", acks, "forces acks=all", "in-sync replica", "producer.config");
    }

    [Fact]
    public void Idempotence_turned_off_is_refused_saying_why_it_is_forced()
    {
        AssertNames(Refused(producer: Producer(("enable.idempotence", "false"))), "enable.idempotence", "false", "forces enable.idempotence=true", "twice");
        AssertNames(Refused(producer: Producer(("enable.idempotence", "maybe"))), "enable.idempotence", "maybe", "must be true");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("five")]
    public void A_max_in_flight_that_is_not_a_positive_number_is_refused(string value)
    {
        AssertNames(Refused(producer: Producer(("max.in.flight.requests.per.connection", value))), "max.in.flight.requests.per.connection", value, "from 1 to 5");
    }

    [Fact]
    public void Auto_commit_turned_on_is_refused_because_it_would_commit_records_not_yet_mirrored()
    {
        AssertNames(Refused(consumer: Consumer(("enable.auto.commit", "true"))), "enable.auto.commit", "true", "acknowledged", "set it to false");
        AssertNames(Refused(consumer: Consumer(("enable.auto.commit", "yes"))), "enable.auto.commit", "yes", "must be false");
    }

    [Fact]
    public void An_unknown_auto_offset_reset_is_refused_listing_the_choices()
    {
        AssertNames(Refused(consumer: Consumer(("auto.offset.reset", "smallest"))), "auto.offset.reset", "smallest", "earliest", "latest", "none");
    }

    [Fact]
    public void An_unknown_replication_policy_is_refused_naming_both_choices()
    {
        AssertNames(Refused(Options with { ReplicationPolicyClass = "com.example.MyPolicy" }), "--replication.policy.class", "com.example.MyPolicy",
            "IdentityReplicationPolicy", "DefaultReplicationPolicy");
    }

    [Fact]
    public void The_prefixed_policy_without_a_source_alias_is_refused()
    {
        AssertNames(Refused(Options with { ReplicationPolicyClass = "DefaultReplicationPolicy", TargetClusterAlias = "b" }), "--source.cluster.alias", null);
    }

    [Fact]
    public void The_prefixed_policy_without_a_target_alias_is_refused_because_it_could_not_prevent_loops()
    {
        AssertNames(Refused(Options with { ReplicationPolicyClass = "DefaultReplicationPolicy", SourceClusterAlias = "a" }), "--target.cluster.alias", null, "loops");
    }

    [Fact]
    public void Equal_aliases_are_refused()
    {
        AssertNames(Refused(Options with { ReplicationPolicyClass = "DefaultReplicationPolicy", SourceClusterAlias = "a", TargetClusterAlias = "a" }),
            "--target.cluster.alias", "a", "different aliases");
    }

    [Fact]
    public void An_alias_containing_the_separator_is_refused()
    {
        AssertNames(Refused(Options with { ReplicationPolicyClass = "DefaultReplicationPolicy", SourceClusterAlias = "us.west", TargetClusterAlias = "b" }),
            "--source.cluster.alias", "us.west", "separator '.'");
    }

    [Theory]
    [InlineData("--source.cluster.alias", "us west")]
    [InlineData("--replication.policy.separator", "/")]
    [InlineData("--replication.policy.separator", "")]
    [InlineData("--heartbeats.topic.name", "heart beats")]
    public void Names_that_could_not_be_part_of_a_topic_name_are_refused(string option, string value)
    {
        var options = option switch
        {
            "--source.cluster.alias" => Options with { SourceClusterAlias = value },
            "--replication.policy.separator" => Options with { ReplicationPolicySeparator = value },
            _ => Options with { HeartbeatsTopicName = value },
        };
        AssertNames(Refused(options), option, value, "letters, digits");
    }

    [Fact]
    public void Identity_mirroring_into_the_cluster_it_reads_is_refused_because_it_would_loop_forever()
    {
        var e = Refused(consumer: Consumer(("bootstrap.servers", "b:2, a:1")), producer: Producer(("bootstrap.servers", "A:1,b:2")));
        AssertNames(e, "bootstrap.servers", "A:1,b:2", "same cluster", "forever", "DefaultReplicationPolicy");
    }
}

public class MirrorMakerHoconSettingsTests
{
    [Fact]
    public void A_mirror_block_reads_options_under_their_command_line_names_and_client_keys_in_their_blocks()
    {
        var s = MirrorMakerSettings.FromHocon(Akka.Configuration.ConfigurationFactory.ParseString("""
            num.streams = 3
            include = "orders.*"
            sync.group.offsets.enabled = true
            consumer { bootstrap.servers = "source:9192", group.id = dc1-mirror, auto.offset.reset = latest }
            producer { linger.ms = 5 }
            """), "local:9192");
        Assert.Equal(3, s.NumStreams);
        Assert.True(s.ShouldMirror("orders-eu"));
        Assert.True(s.Checkpoints.SyncGroupOffsets);
        Assert.Equal("dc1-mirror", s.GroupId);
        Assert.Equal(AkkaBroker.Client.AutoOffsetReset.Latest, s.AutoOffsetReset);
        Assert.Equal("local:9192", s.ProducerProperties["bootstrap.servers"]);
        Assert.Equal("5", s.ProducerProperties["linger.ms"]);
    }

    [Fact]
    public void A_misspelt_mirror_key_is_refused_naming_the_key_it_was_meant_to_be()
    {
        var e = Assert.Throws<MirrorMakerConfigException>(() => MirrorMakerSettings.FromHocon(Akka.Configuration.ConfigurationFactory.ParseString("""
            num.stream = 3
            include = orders
            consumer { bootstrap.servers = "source:9192", group.id = m }
            """), "local:9192"));
        Assert.Equal("num.stream", e.Key);
        Assert.Contains("num.streams", e.Message);
        var fraction = Assert.Throws<MirrorMakerConfigException>(() => MirrorMakerSettings.FromHocon(Akka.Configuration.ConfigurationFactory.ParseString("""
            num.streams = 2.5
            include = orders
            consumer { bootstrap.servers = "source:9192", group.id = m }
            """), "local:9192"));
        Assert.Equal("num.streams", fraction.Key);
    }
}
