using BioSim.Engine.Random;

namespace BioSim.Circuits.Connectivity;

/// <summary>Base for rules: typed parameters, checked once.</summary>
public abstract class ConnectivityRule<TParameters> : IConnectivityRule where TParameters : class
{
    /// <inheritdoc/>
    public Type ParametersType => typeof(TParameters);

    /// <inheritdoc/>
    /// <remarks>Parameters of another type than <typeparamref name="TParameters"/> are reported, not thrown.</remarks>
    public string? Validate(object parameters, int sourceCount, int targetCount) =>
        parameters is TParameters p ? Validate(p, sourceCount, targetCount) : $"parameters must be {typeof(TParameters).Name}";

    /// <inheritdoc/>
    /// <remarks>Checks the parameters first; a problem throws an <see cref="ArgumentException"/> with the "field: problem" message.</remarks>
    public ConnectivityPattern Build(object parameters, int sourceCount, int targetCount, bool samePopulation, RandomStream random) =>
        Build(parameters, sourceCount, targetCount, samePopulation, random, 0, targetCount);

    /// <inheritdoc/>
    /// <remarks>Checks the parameters (against the whole populations) first, as <see cref="Build(object, int, int, bool, RandomStream)"/>.</remarks>
    public ConnectivityPattern Build(object parameters, int sourceCount, int targetCount, bool samePopulation, RandomStream random, int targetStart, int targetEnd)
    {
        var p = (TParameters)parameters;
        string? problem = Validate(p, sourceCount, targetCount);
        if (problem is not null) throw new ArgumentException(problem);
        ConnectivityPattern.CheckRange(targetCount, targetStart, targetEnd);
        return Build(p, sourceCount, targetCount, samePopulation, random, targetStart, targetEnd);
    }

    /// <summary>The first invalid field as "field: problem" for populations of these sizes, or null.</summary>
    protected abstract string? Validate(TParameters parameters, int sourceCount, int targetCount);

    /// <summary>Builds the pattern's synapses onto targets [<paramref name="targetStart"/>, <paramref name="targetEnd"/>) (every target:
    /// [0, <paramref name="targetCount"/>)) from parameters that passed <see cref="Validate(TParameters, int, int)"/>, drawing from
    /// <paramref name="random"/>'s element streams (one per row or column) exactly the draws the whole pattern makes for those
    /// synapses; <paramref name="samePopulation"/> tells whether i → i is an autapse. Only the piece is ever stored.</summary>
    protected abstract ConnectivityPattern Build(TParameters parameters, int sourceCount, int targetCount, bool samePopulation, RandomStream random,
        int targetStart, int targetEnd);
}
