using System.Numerics;
using BioSim.Plasticity.Data;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Rules;

namespace BioSim.Plasticity.Training;

/// <summary>A run stopped because the loss or a weight became non-finite or exceeded the divergence limit.</summary>
public sealed class TrainingDivergedException(string message, int epoch, int batch, string layer, TrainingHistory history) : Exception(message)
{
    public int Epoch { get; } = epoch;

    public int Batch { get; } = batch;

    public string Layer { get; } = layer;

    /// <summary>The curves up to the failing batch.</summary>
    public TrainingHistory History { get; } = history;
}
