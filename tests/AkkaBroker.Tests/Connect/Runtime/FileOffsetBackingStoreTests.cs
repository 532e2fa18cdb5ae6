using AkkaBroker.Connect;
using AkkaBroker.Connect.Runtime;
using Xunit;

namespace AkkaBroker.Tests.Connect.Runtime;

/// <summary>
/// A standalone worker's source offsets in one file: what is stored is found by a new instance on the same file, a
/// null offset removes a partition, and a file that is not an offsets file stops the worker saying what to do.
/// </summary>
public sealed class FileOffsetBackingStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "offsets-" + Guid.NewGuid().ToString("N"));

    private string File(string name = "offsets.json") => Path.Combine(_directory, name);

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    private static IReadOnlyDictionary<string, object?> Map(params (string Key, object? Value)[] entries) => entries.ToDictionary(e => e.Key, e => e.Value);

    private static async Task<FileOffsetBackingStore> StartedAsync(string path)
    {
        var store = new FileOffsetBackingStore(path);
        await store.StartAsync(CancellationToken.None);
        return store;
    }

    [Fact]
    public async Task Stored_offsets_are_found_by_a_new_instance_on_the_same_file_with_their_types()
    {
        var path = File(Path.Combine("sub", "dir", "offsets.json"));
        await using (var store = await StartedAsync(path))
        {
            await store.SetAsync("c", [(Map(("file", "a.txt")), Map(("position", 5000L), ("ratio", 0.5), ("done", false), ("where", Map(("line", 3L)))))], CancellationToken.None);
        }

        await using var reloaded = await StartedAsync(path);
        var offset = reloaded.Get("c", Map(("file", "a.txt")));

        Assert.NotNull(offset);
        Assert.Equal(5000L, Assert.IsType<long>(offset["position"]));
        Assert.Equal(0.5, Assert.IsType<double>(offset["ratio"]));
        Assert.False(Assert.IsType<bool>(offset["done"]));
        Assert.Equal(3L, Assert.IsAssignableFrom<IReadOnlyDictionary<string, object?>>(offset["where"])["line"]);
    }

    [Fact]
    public async Task A_partition_is_found_whatever_the_order_of_its_map_keys()
    {
        await using var store = await StartedAsync(File());
        await store.SetAsync("c", [(Map(("file", "a"), ("shard", 1L)), Map(("position", 1L)))], CancellationToken.None);

        Assert.Equal(1L, store.Get("c", Map(("shard", 1L), ("file", "a")))?["position"]);
    }

    [Fact]
    public async Task A_newer_offset_replaces_the_older_and_a_null_offset_removes_the_partition_also_from_the_file()
    {
        var path = File();
        await using (var store = await StartedAsync(path))
        {
            await store.SetAsync("c", [(Map(("file", "a")), Map(("position", 1L))), (Map(("file", "b")), Map(("position", 1L)))], CancellationToken.None);
            await store.SetAsync("c", [(Map(("file", "a")), Map(("position", 2L)))], CancellationToken.None);
            await store.SetAsync("c", [(Map(("file", "b")), null)], CancellationToken.None);

            Assert.Equal(2L, store.Get("c", Map(("file", "a")))?["position"]);
            Assert.Null(store.Get("c", Map(("file", "b"))));
        }

        await using var reloaded = await StartedAsync(path);
        var stored = Assert.Single(reloaded.List("c"));
        Assert.Equal("a", stored.Partition["file"]);
        Assert.Equal(2L, stored.Offset["position"]);
    }

    [Fact]
    public async Task List_returns_the_partitions_of_one_connector_only()
    {
        await using var store = await StartedAsync(File());
        await store.SetAsync("one", [(Map(("file", "a")), Map(("position", 1L))), (Map(("file", "b")), Map(("position", 2L)))], CancellationToken.None);
        await store.SetAsync("two", [(Map(("file", "a")), Map(("position", 9L)))], CancellationToken.None);

        var one = store.List("one").ToDictionary(o => (string)o.Partition["file"]!, o => (long)o.Offset["position"]!);

        Assert.Equal(new Dictionary<string, long> { ["a"] = 1, ["b"] = 2 }, one);
        Assert.Equal(9L, Assert.Single(store.List("two")).Offset["position"]);
        Assert.Empty(store.List("three"));
        Assert.Null(store.Get("three", Map(("file", "a"))));
    }

    [Fact]
    public async Task A_missing_file_is_an_empty_store_and_a_blank_file_too()
    {
        await using (var missing = await StartedAsync(File("missing.json")))
            Assert.Empty(missing.List("c"));

        Directory.CreateDirectory(_directory);
        await System.IO.File.WriteAllTextAsync(File("blank.json"), " \n");
        await using var blank = await StartedAsync(File("blank.json"));
        Assert.Empty(blank.List("c"));
    }

    [Theory]
    [InlineData("this is not json")]
    [InlineData("[1, 2, 3]")]
    [InlineData("""{"[\"c\",{\"file\":\"a\"}]": 5}""")]
    [InlineData("""{"[\"c\",{\"file\":\"a\"}]": [1]}""")]
    public async Task A_file_that_is_not_an_offsets_file_is_refused_at_start_naming_the_file_and_what_to_do(string content)
    {
        Directory.CreateDirectory(_directory);
        var path = File("corrupt.json");
        await System.IO.File.WriteAllTextAsync(path, content);
        var store = new FileOffsetBackingStore(path);

        var error = await Assert.ThrowsAsync<ConnectException>(() => store.StartAsync(CancellationToken.None));

        Assert.Contains(Path.GetFullPath(path), error.Message);
        Assert.Contains("offset.storage.file.filename", error.Message);
        Assert.Contains("move this one away", error.Message);
    }

    [Fact]
    public async Task A_write_leaves_no_temporary_file_behind()
    {
        var path = File();
        await using var store = await StartedAsync(path);

        for (var i = 0; i < 3; i++)
            await store.SetAsync("c", [(Map(("file", "a")), Map(("position", (long)i)))], CancellationToken.None);

        Assert.Equal(["offsets.json"], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Concurrent_writes_of_different_connectors_all_reach_the_file()
    {
        var path = File();
        await using (var store = await StartedAsync(path))
        {
            await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
                Task.Run(() => store.SetAsync("c" + i, [(Map(("file", "a")), Map(("position", (long)i)))], CancellationToken.None))));
        }

        await using var reloaded = await StartedAsync(path);
        for (var i = 0; i < 20; i++)
            Assert.Equal((long)i, reloaded.Get("c" + i, Map(("file", "a")))?["position"]);
    }
}
