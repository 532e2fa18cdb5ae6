using System.Runtime.InteropServices;

namespace KafkaClientBench;

/// <summary>
/// librdkafka's in-process mock cluster (<c>test.mock.num.brokers</c>): a Kafka broker inside this process that keeps
/// records in memory and persists nothing. Confluent.Kafka does not expose the mock's bootstrap address or topic
/// creation (the mock serves no CreateTopics, and its auto-created topics have 4 partitions), so this calls
/// librdkafka's C API directly, on the same native library Confluent.Kafka loads.
/// </summary>
internal sealed class MockCluster : IDisposable
{
    private const string Lib = "librdkafka";
    private IntPtr _rk;
    private readonly IntPtr _cluster;

    public string BootstrapServers { get; }

    public MockCluster(int brokers)
    {
        LoadLibrdkafka();
        var errstr = new byte[512];
        var conf = rd_kafka_conf_new();
        if (rd_kafka_conf_set(conf, "test.mock.num.brokers", brokers.ToString(), errstr, errstr.Length) != 0)
            throw new InvalidOperationException(Text(errstr));
        _rk = rd_kafka_new(0 /* RD_KAFKA_PRODUCER */, conf, errstr, errstr.Length); // takes conf
        if (_rk == IntPtr.Zero) throw new InvalidOperationException(Text(errstr));
        _cluster = rd_kafka_handle_mock_cluster(_rk);
        BootstrapServers = Marshal.PtrToStringUTF8(rd_kafka_mock_cluster_bootstraps(_cluster))!;
    }

    public void CreateTopic(string topic, int partitions)
    {
        var err = rd_kafka_mock_topic_create(_cluster, topic, partitions, 1);
        if (err != 0) throw new InvalidOperationException($"mock topic {topic}: error {err}");
    }

    public void Dispose()
    {
        if (_rk == IntPtr.Zero) return;
        rd_kafka_destroy(_rk);
        _rk = IntPtr.Zero;
    }

    /// <summary>
    /// Binds the P/Invokes below to the librdkafka Confluent.Kafka loaded. It picks one of several builds in the
    /// librdkafka.redist package by what the system has (on Debian without libsasl2 the CentOS 8 build), so the
    /// mapped file is read back from the process's memory map rather than guessed.
    /// </summary>
    private static void LoadLibrdkafka()
    {
        Confluent.Kafka.Library.Load();
        if (!OperatingSystem.IsLinux()) return;
        var path = File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 6 && f[5].Contains("librdkafka")).Select(f => f[5]).FirstOrDefault();
        if (path == null) return;
        NativeLibrary.SetDllImportResolver(typeof(MockCluster).Assembly, (name, _, _) => name == Lib ? NativeLibrary.Load(path) : IntPtr.Zero);
    }

    private static string Text(byte[] errstr) => System.Text.Encoding.UTF8.GetString(errstr).TrimEnd('\0');

    [DllImport(Lib)] private static extern IntPtr rd_kafka_conf_new();
    [DllImport(Lib)] private static extern int rd_kafka_conf_set(IntPtr conf, [MarshalAs(UnmanagedType.LPUTF8Str)] string name,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string value, byte[] errstr, nint errstrSize);
    [DllImport(Lib)] private static extern IntPtr rd_kafka_new(int type, IntPtr conf, byte[] errstr, nint errstrSize);
    [DllImport(Lib)] private static extern void rd_kafka_destroy(IntPtr rk);
    [DllImport(Lib)] private static extern IntPtr rd_kafka_handle_mock_cluster(IntPtr rk);
    [DllImport(Lib)] private static extern IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr cluster);
    [DllImport(Lib)] private static extern int rd_kafka_mock_topic_create(IntPtr cluster, [MarshalAs(UnmanagedType.LPUTF8Str)] string topic,
        int partitions, int replicationFactor);
}
