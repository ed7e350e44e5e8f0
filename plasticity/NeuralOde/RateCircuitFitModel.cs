using BioSim.Circuits.Neurons.RateCircuit;
using BioSim.Engine.NeuralOde;
using BioSim.Engine.Numerics;

namespace BioSim.Plasticity.NeuralOde;

/// <summary>"rate-circuit": a <see cref="RateCircuitField"/> of d units (with the trajectories' input u(t), if any),
/// starting from W = U = b = 0 and τ = 1; after every step τ is kept ≥ <see cref="FitModelSettings.MinTau"/>.</summary>
public sealed class RateCircuitFitModel : IFitModel
{
    /// <inheritdoc/>
    public bool TakesInput => true;

    /// <inheritdoc/>
    public IParametricVectorField Create(int dimension, IInputSignal? input, FitModelSettings settings, IMatrixProduct product) =>
        new RateCircuitField(dimension, input);

    /// <inheritdoc/>
    public Action<Span<double>>? Constraint(IParametricVectorField field, FitModelSettings settings)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(settings);
        int d = field.Dimension;
        double minTau = settings.MinTau;
        return p =>
        {
            for (int i = p.Length - d; i < p.Length; i++) p[i] = Math.Max(p[i], minTau);
        };
    }

    /// <inheritdoc/>
    public IReadOnlyList<KeyValuePair<string, double[]>> Describe(IParametricVectorField field)
    {
        var rate = (RateCircuitField)field;
        var blocks = new List<KeyValuePair<string, double[]>> { new("W", rate.W.ToArray()) };
        if (rate.Inputs > 0) blocks.Add(new("U", rate.U.ToArray()));
        blocks.Add(new("b", rate.Bias.ToArray()));
        blocks.Add(new("tau", rate.Tau.ToArray()));
        return blocks;
    }
}
