using AkkaBroker.KafkaProtocol.Generator;

// Usage: dotnet run --project src/KafkaProtocol.Generator [-- <schema dir> <output dir>]
// Without arguments it works on src/KafkaProtocol/Schemas and src/KafkaProtocol/Generated of the repository it runs in.
var root = FindRepositoryRoot(Directory.GetCurrentDirectory());
var schemas = args.Length > 0 ? args[0] : Path.Combine(root, "src", "KafkaProtocol", "Schemas");
var output = args.Length > 1 ? args[1] : Path.Combine(root, "src", "KafkaProtocol", "Generated");

var files = CodeGenerator.GenerateAll(schemas);
Directory.CreateDirectory(output);
var changed = 0;
foreach (var (name, text) in files)
{
    var path = Path.Combine(output, name);
    if (File.Exists(path) && File.ReadAllText(path) == text) continue;
    File.WriteAllText(path, text);
    changed++;
}
// A schema removed from Schemas/ must not leave its class behind.
var removed = 0;
foreach (var stale in Directory.GetFiles(output, "*.g.cs").Where(p => !files.ContainsKey(Path.GetFileName(p))))
{
    File.Delete(stale);
    removed++;
}
Console.WriteLine($"{files.Count} messages from {schemas}: {changed} files written, {removed} removed, in {output}");

static string FindRepositoryRoot(string start)
{
    for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "AkkaBroker.sln"))) return dir.FullName;
    return start;
}
