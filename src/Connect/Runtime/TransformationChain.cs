using AkkaBroker.Connect.Config;

namespace AkkaBroker.Connect.Runtime;

/// <summary>
/// A connector's transforms in the order of its <c>transforms</c> list, each with its optional predicate
/// (<c>transforms.{alias}.predicate</c>, <c>transforms.{alias}.negate</c>), as Kafka Connect's
/// <c>TransformationChain</c>. Built once per task; used from the task's thread only.
/// </summary>
public sealed class TransformationChain : IDisposable
{
    /// <summary>One configured transform.</summary>
    public sealed record Stage(string Alias, ITransformation Transformation, IPredicate? Predicate, bool Negate)
    {
        /// <summary>True when the transform applies to <paramref name="record"/>.</summary>
        public bool AppliesTo(ConnectRecord record) => Predicate == null || Predicate.Test(record) != Negate;
    }

    private readonly IReadOnlyList<Stage> _stages;
    private readonly IReadOnlyList<IPredicate> _predicates;

    private TransformationChain(IReadOnlyList<Stage> stages, IReadOnlyList<IPredicate> predicates)
    {
        _stages = stages;
        _predicates = predicates;
    }

    /// <summary>No transforms.</summary>
    public static TransformationChain Empty => new([], []);

    /// <summary>The stages, in order.</summary>
    public IReadOnlyList<Stage> Stages => _stages;

    /// <summary>Builds the chain of <paramref name="config"/>.</summary>
    /// <exception cref="ConfigException">an alias has no type, a type is unknown, a transform's or predicate's keys are invalid, or a predicate alias is not listed.</exception>
    public static TransformationChain Create(ConnectorConfig config, PluginRegistry plugins)
    {
        var predicates = new Dictionary<string, IPredicate>(StringComparer.Ordinal);
        foreach (var alias in config.Get<List<string>>(ConnectorConfig.Predicates).Distinct())
        {
            var prefix = $"predicates.{alias}.";
            var props = config.WithPrefix(prefix);
            if (!props.Remove("type", out var typeName))
                throw new ConfigException($"Missing required configuration \"{prefix}type\" which has no default value: predicate '{alias}' is listed in predicates but has no type.");
            var predicate = PluginRegistry.Instantiate<IPredicate>(plugins.Find(prefix + "type", typeName, PluginKind.Predicate));
            predicate.Configure(props);
            predicates[alias] = predicate;
        }
        var stages = new List<Stage>();
        foreach (var alias in config.Get<List<string>>(ConnectorConfig.Transforms).Distinct())
        {
            var prefix = $"transforms.{alias}.";
            var props = config.WithPrefix(prefix);
            if (!props.Remove("type", out var typeName))
                throw new ConfigException($"Missing required configuration \"{prefix}type\" which has no default value: transform '{alias}' is listed in transforms but has no type.");
            IPredicate? predicate = null;
            if (props.Remove("predicate", out var predicateAlias) && predicateAlias.Length > 0 && !predicates.TryGetValue(predicateAlias, out predicate))
                throw new ConfigException(prefix + "predicate", predicateAlias, $"There is no predicate '{predicateAlias}'; list it in predicates and configure predicates.{predicateAlias}.type");
            var negate = false;
            if (props.Remove("negate", out var negateText))
                negate = (bool)ConfigDef.ParseValue(prefix + "negate", ConfigType.Boolean, negateText)!;
            var transformation = PluginRegistry.Instantiate<ITransformation>(plugins.Find(prefix + "type", typeName, PluginKind.Transformation));
            transformation.Configure(props);
            stages.Add(new Stage(alias, transformation, predicate, negate));
        }
        return new TransformationChain(stages, predicates.Values.ToList());
    }

    /// <summary>Applies every stage in order; null when one dropped the record.</summary>
    /// <exception cref="ConnectException">a transform failed; wraps its exception with the alias.</exception>
    /// <exception cref="RetriableException">a transform met a passing failure; thrown unwrapped, so that it is retried.</exception>
    public ConnectRecord? Apply(ConnectRecord record)
    {
        var current = record;
        foreach (var stage in _stages)
        {
            if (!stage.AppliesTo(current)) continue;
            ConnectRecord? next;
            try
            {
                next = stage.Transformation.Apply(current);
            }
            catch (Exception e) when (e is not (RetriableException or OperationCanceledException))
            {
                // A retriable failure stays retriable for the error handler; the dead letter queue reports the cause.
                throw new ConnectException($"Transform '{stage.Alias}' ({stage.Transformation.GetType().FullName}) failed on a record of topic '{current.Topic}': {e.Message}", e);
            }
            if (next == null) return null;
            current = next;
        }
        return current;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var stage in _stages) stage.Transformation.Dispose();
        foreach (var predicate in _predicates) predicate.Dispose();
    }
}
