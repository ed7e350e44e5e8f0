using BioSim.Engine.Simulation;
using BioSim.Plasticity.Data;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Rules;

namespace BioSim.Plasticity.Training;

/// <summary>
/// The fixed batch that alignment measures (<see cref="SignalAlignment"/>, <see cref="UpdateAlignment"/>) probe with:
/// the first rows of a data set, gathered once, a tape of the network for that many rows, and the two passes every
/// measure makes on it: the rule's (its state saved before and restored after, so measuring does not change the run)
/// and the forward pass backprop's reference starts from.
/// </summary>
internal sealed class ProbeBatch
{
    private readonly Network _network;
    private readonly ILoss _loss;

    public ProbeBatch(Network network, ILoss loss, Dataset data, int probe)
    {
        if (probe < 1) throw new ArgumentOutOfRangeException(nameof(probe), probe, "The probe batch needs at least one row.");
        (_network, _loss) = (network, loss);
        Rows = Math.Min(probe, data.Count);
        Tape = network.CreateTape(Rows);
        Inputs = new double[Rows * network.InputSize];
        Targets = new double[Rows * loss.TargetWidth(network)];
        var indices = new int[Rows];
        for (int i = 0; i < indices.Length; i++) indices[i] = i;
        data.Gather(indices, Inputs, Targets);
    }

    /// <summary>Rows in the batch (the probe size, or the whole data set if smaller).</summary>
    public int Rows { get; }

    public double[] Inputs { get; }

    public double[] Targets { get; }

    public NetworkTape Tape { get; }

    /// <summary>
    /// The rule's updates on the probe batch at the current weights into <paramref name="updates"/>, its errors left on
    /// the tape (hidden-layer errors first set to NaN when <paramref name="markErrors"/>, so that a rule that does not
    /// write them shows NaN). The rule gets the probe targets first if it nudges towards them itself; its state is
    /// restored afterwards. Allocates only the rule's state snapshot.
    /// </summary>
    public void RunRule(ICreditAssignmentRule rule, ParameterGradients updates, bool markErrors)
    {
        var saved = new StateSnapshot();
        rule.SaveState(saved, "");
        Forward();
        if (rule is IStochasticForwardRule stochastic)
        {
            stochastic.Sample(_network, Tape, _loss, Targets);
            _loss.Evaluate(_network, Tape, Targets);
        }
        if (markErrors) for (int l = 1; l < _network.Layers.Count; l++) Tape.Delta[l].AsSpan().Fill(double.NaN);
        if (rule is IInferenceRule settling) settling.SetTargets(Targets, Rows);
        rule.ComputeUpdates(_network, Tape, updates);
        rule.LoadState(saved, "");
    }

    /// <summary>Forward pass and loss (the output error) on the same weights and batch, for backprop's reference (the
    /// rule may have used the tape for passes of its own).</summary>
    public void Forward()
    {
        _network.Forward(Inputs, Rows, Tape);
        _loss.Evaluate(_network, Tape, Targets);
    }
}
