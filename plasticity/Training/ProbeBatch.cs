using BioSim.Plasticity.Data;
using BioSim.Plasticity.Networks;

namespace BioSim.Plasticity.Training;

/// <summary>
/// The fixed batch that alignment measures (<see cref="SignalAlignment"/>, <see cref="UpdateAlignment"/>) probe with:
/// the first rows of a data set, gathered once, and a tape of the network for that many rows.
/// </summary>
internal sealed class ProbeBatch
{
    public ProbeBatch(Network network, ILoss loss, Dataset data, int probe)
    {
        if (probe < 1) throw new ArgumentOutOfRangeException(nameof(probe), probe, "The probe batch needs at least one row.");
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
}
