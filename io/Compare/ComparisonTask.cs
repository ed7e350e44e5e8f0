using BioSim.Plasticity.Data;

namespace BioSim.IO.Compare;

/// <summary>The typed base of a task: settings of type <typeparamref name="TSettings"/>, checked once in <see cref="Describe(string, TSettings)"/>.</summary>
/// <typeparam name="TSettings">The settings record (property names are the file's keys, as for model parameters).</typeparam>
public abstract class ComparisonTask<TSettings> : ITask where TSettings : class
{
    /// <inheritdoc/>
    public Type SettingsType => typeof(TSettings);

    /// <inheritdoc/>
    public IReadOnlyList<object> Examples => [.. TypedExamples];

    /// <summary>The typed <see cref="Examples"/>.</summary>
    protected abstract IEnumerable<TSettings> TypedExamples { get; }

    /// <inheritdoc/>
    public TaskSpec Describe(string type, object settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var s = settings as TSettings ?? throw new ArgumentException($"settings must be {typeof(TSettings).Name}, got {settings.GetType().Name}");
        return Describe(type, s);
    }

    /// <inheritdoc/>
    public (Dataset Train, Dataset Test) Load(TaskSpec task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Load((TSettings)task.Settings);
    }

    /// <summary>Checks <paramref name="settings"/> (throwing "field: problem") and gives the task's shape.</summary>
    protected abstract TaskSpec Describe(string type, TSettings settings);

    /// <summary>The data of checked settings.</summary>
    protected abstract (Dataset Train, Dataset Test) Load(TSettings settings);
}
