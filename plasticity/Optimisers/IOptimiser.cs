using BioSim.Engine.Simulation;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Rules;

namespace BioSim.Plasticity.Optimisers;

/// <summary>Applies a rule's updates to the network's weights; its moment estimates are checkpointable state.</summary>
public interface IOptimiser : IStateful
{
    /// <summary>Allocates the state for <paramref name="network"/> (zero moments, step 0).</summary>
    void Prepare(Network network);

    /// <summary>One step: θ ← θ − (update computed from <paramref name="gradients"/>).</summary>
    void Step(Network network, ParameterGradients gradients);

    /// <summary>Factor on the learning rate η (default 1), set per epoch by a schedule through
    /// <see cref="Training.Trainer.ScaleRates"/>; the moments are untouched, as with PyTorch's lr schedulers.</summary>
    double RateScale { get; set; }

    /// <summary>The learning rate η (positive, finite); a comparison file's "lr".</summary>
    double LearningRate { get; set; }

    /// <summary>The optimiser and its settings in words ("SGD with momentum 0.9, lr 0.01"), for tables.</summary>
    string Description { get; }
}
