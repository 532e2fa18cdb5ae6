using System.Reflection;
using System.Runtime.Loader;

namespace AkkaBroker.Connect.Runtime;

/// <summary>
/// Loads one plugin directory's assemblies in isolation, as Kafka Connect's <c>PluginClassLoader</c> does: a plugin may
/// bring its own versions of libraries without clashing with another plugin's. The Connect API and the client library
/// are always taken from the worker, so that a plugin's <see cref="Connector"/> is the worker's type.
/// </summary>
internal sealed class PluginLoadContext(string mainAssemblyPath) : AssemblyLoadContext($"connect-plugin:{mainAssemblyPath}")
{
    private static readonly HashSet<string> Shared = new(StringComparer.OrdinalIgnoreCase)
    {
        typeof(Connector).Assembly.GetName().Name!,
        typeof(Client.TopicPartition).Assembly.GetName().Name!,
    };

    private readonly AssemblyDependencyResolver _resolver = new(mainAssemblyPath);
    private readonly string _directory = Path.GetDirectoryName(mainAssemblyPath)!;

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name != null && Shared.Contains(assemblyName.Name)) return null;
        var path = _resolver.ResolveAssemblyToPath(assemblyName);
        if (path == null)
        {
            // A plugin copied without its .deps.json: look beside it.
            var candidate = Path.Combine(_directory, assemblyName.Name + ".dll");
            if (File.Exists(candidate)) path = candidate;
        }
        // Anything else (the framework, Akka) comes from the worker's own context.
        return path != null ? LoadFromAssemblyPath(path) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path != null ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
    }
}
