using BioSim.Plasticity.Data;

namespace BioSim.IO.Compare;

/// <summary>
/// A comparison's task: where its training and held-out data come from. Registered by name in the catalogue
/// ("fashion-mnist", "teacher-student"); a comparison file's "task" object names it in "type", and its other fields are
/// the task's settings (<see cref="SettingsType"/>, read by the one JSON reader). The same settings give the same data.
/// A new task is a settings record and a class deriving from <see cref="ComparisonTask{TSettings}"/>, registered with
/// <c>services.AddPlugin&lt;ITask, MyTask&gt;("my-task")</c>.
/// </summary>
public interface ITask
{
    /// <summary>The record the "task" object's fields other than "type" deserialise to (its property names are the file's keys).</summary>
    Type SettingsType { get; }

    /// <summary>Small settings that load quickly, for the contract tests and as documentation.</summary>
    IReadOnlyList<object> Examples { get; }

    /// <summary>Checks <paramref name="settings"/> (a <see cref="SettingsType"/>) and says what the task gives; a problem
    /// throws an <see cref="ArgumentException"/> whose message is "field: problem".</summary>
    /// <param name="type">The name the task is registered under.</param>
    /// <param name="settings">The settings read from the file.</param>
    TaskSpec Describe(string type, object settings);

    /// <summary>The training and test sets of <paramref name="task"/> (from <see cref="Describe"/>).</summary>
    (Dataset Train, Dataset Test) Load(TaskSpec task);
}
