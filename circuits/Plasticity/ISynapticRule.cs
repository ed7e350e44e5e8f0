namespace BioSim.Circuits.Plasticity;

/// <summary>
/// A synaptic plasticity rule as experiment files name it (<c>"plasticity": {"rule": "stdp", …}</c> on a projection):
/// the record type of its parameters, their check, and a factory for the running rule, one per projection. Registered
/// through the one plug-in kind: <c>services.AddPlugin&lt;ISynapticRule, StdpRule&gt;("stdp")</c>.
/// </summary>
public interface ISynapticRule
{
    /// <summary>The record type that holds the rule's parameters (deserialised from the experiment file).</summary>
    Type ParametersType { get; }

    /// <summary>True when the rule needs the target's spikes (STDP); such a rule cannot be put on a projection onto a
    /// population that does not emit spikes.</summary>
    bool NeedsPostsynapticSpikes { get; }

    /// <summary>The first invalid parameter as "field: problem", or null.</summary>
    string? Validate(object parameters);

    /// <summary>The range the rule keeps weights in, [min, max] (infinite when unbounded); initial weights must lie in it.</summary>
    (double Min, double Max) WeightBounds(object parameters);

    /// <summary>A running rule for one projection.</summary>
    ISynapticPlasticity Create(object parameters);
}

/// <summary>Base for rules with typed parameters, checked once.</summary>
/// <typeparam name="TParameters">The record type read from the experiment file.</typeparam>
public abstract class SynapticRule<TParameters> : ISynapticRule where TParameters : class
{
    /// <inheritdoc/>
    public Type ParametersType => typeof(TParameters);

    /// <inheritdoc/>
    public virtual bool NeedsPostsynapticSpikes => true;

    /// <inheritdoc/>
    public string? Validate(object parameters) =>
        parameters is TParameters p ? Validate(p) : $"parameters must be {typeof(TParameters).Name}";

    /// <inheritdoc/>
    public (double Min, double Max) WeightBounds(object parameters) => WeightBounds((TParameters)parameters);

    /// <inheritdoc/>
    /// <remarks>Checks the parameters first; a problem throws an <see cref="ArgumentException"/> with the "field: problem" message.</remarks>
    public ISynapticPlasticity Create(object parameters)
    {
        var p = (TParameters)parameters;
        string? problem = Validate(p);
        if (problem is not null) throw new ArgumentException(problem);
        return Create(p);
    }

    /// <summary>The first invalid field as "field: problem", or null.</summary>
    protected abstract string? Validate(TParameters parameters);

    /// <summary>The weight range of these parameters.</summary>
    protected abstract (double Min, double Max) WeightBounds(TParameters parameters);

    /// <summary>A running rule from checked parameters.</summary>
    protected abstract ISynapticPlasticity Create(TParameters parameters);
}
