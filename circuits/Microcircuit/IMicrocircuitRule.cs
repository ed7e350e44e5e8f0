using BioSim.Engine.Simulation;

namespace BioSim.Circuits.Microcircuit;

/// <summary>
/// A plasticity rule that runs inside the simulation on the dense weight matrices of a <see cref="CorticalMicrocircuit"/> (the
/// dendritic error rule), as experiment files name it. It is the dense-layer counterpart of
/// <see cref="Plasticity.ISynapticRule"/>: that plug-in point binds a rule to one projection's CSR synapses and feeds it
/// spike events, while a microcircuit keeps all of its layers' weights as dense matrices inside one component and its rule
/// reads five compartments of three cell groups at once. Same life cycle: registered by name in the catalogue
/// (<c>services.AddPlugin&lt;IMicrocircuitRule, DendriticErrorRule&gt;("dendritic-error")</c>), bound once, called after
/// every step, its state saved with checkpoints by its owner.
/// </summary>
public interface IMicrocircuitRule
{
    /// <summary>The record type that holds the rule's parameters.</summary>
    Type ParametersType { get; }

    /// <summary>The first invalid parameter as "field: problem", or null.</summary>
    string? Validate(object parameters);

    /// <summary>A running rule for one microcircuit; invalid parameters throw an <see cref="ArgumentException"/> "field: problem".</summary>
    IMicrocircuitPlasticity Create(object parameters);
}

/// <summary>
/// A running rule on one <see cref="CorticalMicrocircuit"/>. The circuit calls <see cref="AfterStep"/> once per step, after every
/// cell has advanced (so the rule sees somatic potentials, rates and dendritic potentials of the step's end, the
/// dendritic potentials computed with the weights before this call), and refreshes its dendritic potentials afterwards
/// from the changed weights. The rule's own state (low-pass filtered weight changes) goes into the circuit's checkpoints
/// through <see cref="IStateful"/>.
/// </summary>
public interface IMicrocircuitPlasticity : IStateful
{
    /// <summary>Called once, when attached: the circuit whose weights the rule changes in place.</summary>
    void Bind(CorticalMicrocircuit circuit);

    /// <summary>Called at the end of every step ending at <paramref name="t"/> ms, of length <paramref name="dt"/> ms.</summary>
    void AfterStep(double t, double dt);
}

/// <summary>Base for microcircuit rules with typed parameters, checked once.</summary>
/// <typeparam name="TParameters">The record type of the parameters.</typeparam>
public abstract class MicrocircuitRule<TParameters> : IMicrocircuitRule where TParameters : class
{
    /// <inheritdoc/>
    public Type ParametersType => typeof(TParameters);

    /// <inheritdoc/>
    public string? Validate(object parameters) =>
        parameters is TParameters p ? Validate(p) : $"parameters must be {typeof(TParameters).Name}";

    /// <inheritdoc/>
    public IMicrocircuitPlasticity Create(object parameters)
    {
        string? problem = Validate(parameters);
        if (problem is not null) throw new ArgumentException(problem, nameof(parameters));
        return Create((TParameters)parameters);
    }

    /// <summary>The first invalid field as "field: problem", or null.</summary>
    protected abstract string? Validate(TParameters parameters);

    /// <summary>A running rule from checked parameters.</summary>
    protected abstract IMicrocircuitPlasticity Create(TParameters parameters);
}
