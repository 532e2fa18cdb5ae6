using System.Reflection;
using AkkaBroker.Connect.Config;

namespace AkkaBroker.Connect.Runtime;

/// <summary>The kinds of plugins a worker loads.</summary>
public enum PluginKind { Source, Sink, Converter, Transformation, Predicate }

/// <summary>A plugin found by the registry: its type, kind, version and the names it answers to.</summary>
public sealed record PluginDescriptor(Type Type, PluginKind Kind, string Version, IReadOnlyList<string> Names)
{
    /// <summary>Kafka's <c>type</c> in <c>GET /connector-plugins</c>: source, sink, converter, transformation, predicate.</summary>
    public string KindName => Kind.ToString().ToLowerInvariant();

    /// <summary>The name shown to users: the first alias (Kafka's class name) when there is one, else the .NET full name.</summary>
    public string ClassName => Names[0];
}

/// <summary>
/// Every connector, converter, transform and predicate the worker can instantiate: the built-in ones and those in the
/// assemblies under <c>plugin.path</c> (each directory, or each assembly placed directly in a listed directory, in its
/// own load context). A plugin is found by its .NET full name, its simple name, the names in its
/// <see cref="PluginAliasAttribute"/> (Kafka's Java class names) and, for connectors, its simple name without the
/// <c>Connector</c> suffix (<c>FileStreamSource</c>), as Kafka's <c>connector.class</c> allows. Built once at start;
/// read-only afterwards, so it is safe to share between actors.
/// </summary>
public sealed class PluginRegistry
{
    private readonly Dictionary<string, PluginDescriptor> _byName = new(StringComparer.Ordinal);
    private readonly List<PluginDescriptor> _plugins = [];

    /// <summary>Problems met while scanning <c>plugin.path</c> (an assembly that failed to load), for the worker's log.</summary>
    public IReadOnlyList<string> Warnings => _warnings;
    private readonly List<string> _warnings = [];

    /// <summary>A registry of the built-in plugins and those on <paramref name="pluginPath"/>.</summary>
    /// <exception cref="ConfigException">a plugin.path entry does not exist.</exception>
    public static PluginRegistry Create(IEnumerable<string>? pluginPath = null, IEnumerable<Assembly>? extraAssemblies = null)
    {
        var registry = new PluginRegistry();
        registry.Scan(typeof(PluginRegistry).Assembly);
        foreach (var assembly in extraAssemblies ?? []) registry.Scan(assembly);
        foreach (var entry in pluginPath ?? [])
        {
            if (!Directory.Exists(entry) && !File.Exists(entry))
                throw new ConfigException("plugin.path", entry, "The directory does not exist. List directories holding connector plugins, separated by commas");
            registry.ScanPluginPathEntry(entry);
        }
        return registry;
    }

    /// <summary>All plugins, built-in first.</summary>
    public IReadOnlyList<PluginDescriptor> Plugins => _plugins;

    /// <summary>The plugin named <paramref name="name"/> of one of <paramref name="kinds"/>.</summary>
    /// <exception cref="ConfigException">no plugin has that name, or it is of another kind; the message lists the known names of the wanted kinds.</exception>
    public PluginDescriptor Find(string key, string name, params PluginKind[] kinds)
    {
        if (_byName.TryGetValue(name.Trim(), out var plugin) && kinds.Contains(plugin.Kind)) return plugin;
        var known = _plugins.Where(p => kinds.Contains(p.Kind)).Select(p => p.Names.Last()).Distinct().Order();
        var found = plugin == null ? "Class " + name + " could not be found" : $"{name} is a {plugin.KindName}, not a {string.Join(" or ", kinds.Select(k => k.ToString().ToLowerInvariant()))}";
        throw new ConfigException(key, name, $"{found}. Known: {string.Join(", ", known)}");
    }

    /// <summary>A new instance of <paramref name="plugin"/>.</summary>
    /// <exception cref="ConnectException">its constructor failed or it has no public parameterless one.</exception>
    public static T Instantiate<T>(PluginDescriptor plugin) where T : class
    {
        try
        {
            return (T)Activator.CreateInstance(plugin.Type)!;
        }
        catch (Exception e) when (e is MissingMethodException or TargetInvocationException or MemberAccessException)
        {
            throw new ConnectException($"Cannot instantiate {plugin.Type.FullName}: {(e.InnerException ?? e).Message}. A plugin needs a public parameterless constructor.", e);
        }
    }

    private void ScanPluginPathEntry(string entry)
    {
        if (File.Exists(entry))
        {
            ScanFile(entry);
            return;
        }
        // Kafka's layout: each subdirectory is one plugin with its libraries; assemblies directly in the entry are one plugin each.
        foreach (var file in Directory.EnumerateFiles(entry, "*.dll")) ScanFile(file);
        foreach (var directory in Directory.EnumerateDirectories(entry))
            foreach (var file in Directory.EnumerateFiles(directory, "*.dll", SearchOption.AllDirectories))
                ScanFile(file);
    }

    private void ScanFile(string path)
    {
        var full = Path.GetFullPath(path);
        var name = Path.GetFileNameWithoutExtension(full);
        if (name.StartsWith("AkkaBroker.", StringComparison.Ordinal) || name.StartsWith("System.", StringComparison.Ordinal) || name.StartsWith("Microsoft.", StringComparison.Ordinal))
            return;
        try
        {
            Scan(new PluginLoadContext(full).LoadFromAssemblyPath(full));
        }
        catch (Exception e) when (e is BadImageFormatException or FileLoadException or FileNotFoundException or ReflectionTypeLoadException)
        {
            _warnings.Add($"Skipped {full} on plugin.path: {e.Message}");
        }
    }

    private void Scan(Assembly assembly)
    {
        Type[] types;
        try
        {
            types = assembly.GetExportedTypes();
        }
        catch (Exception e) when (e is ReflectionTypeLoadException or FileNotFoundException or FileLoadException)
        {
            _warnings.Add($"Skipped plugins of {assembly.FullName}: {e.Message}");
            return;
        }
        foreach (var type in types)
        {
            if (type.IsAbstract || type.IsInterface || type.GetConstructor(Type.EmptyTypes) == null) continue;
            PluginKind? kind =
                typeof(SourceConnector).IsAssignableFrom(type) ? PluginKind.Source :
                typeof(SinkConnector).IsAssignableFrom(type) ? PluginKind.Sink :
                typeof(IConverter).IsAssignableFrom(type) ? PluginKind.Converter :
                typeof(ITransformation).IsAssignableFrom(type) ? PluginKind.Transformation :
                typeof(IPredicate).IsAssignableFrom(type) ? PluginKind.Predicate : null;
            if (kind == null) continue;
            var names = new List<string>();
            if (type.GetCustomAttribute<PluginAliasAttribute>() is { } alias) names.AddRange(alias.Aliases);
            names.Add(type.FullName!);
            // Nested Key/Value variants are named Outer$Inner in Kafka and Outer.Inner here.
            var simple = type.IsNested ? $"{type.DeclaringType!.Name}${type.Name}" : type.Name;
            names.Add(simple);
            if (type.IsNested) names.Add($"{type.DeclaringType!.Name}.{type.Name}");
            if (kind is PluginKind.Source or PluginKind.Sink && simple.EndsWith("Connector", StringComparison.Ordinal))
                names.Add(simple[..^"Connector".Length]);
            var version = kind is PluginKind.Source or PluginKind.Sink
                ? SafeVersion(type)
                : type.Assembly.GetName().Version?.ToString() ?? "unknown";
            var descriptor = new PluginDescriptor(type, kind.Value, version, names.Distinct().ToArray());
            _plugins.Add(descriptor);
            foreach (var n in descriptor.Names) _byName.TryAdd(n, descriptor);
        }
    }

    private static string SafeVersion(Type type)
    {
        try
        {
            return ((Connector)Activator.CreateInstance(type)!).Version;
        }
        catch (Exception e) when (e is TargetInvocationException or MissingMethodException)
        {
            return type.Assembly.GetName().Version?.ToString() ?? "unknown";
        }
    }
}
