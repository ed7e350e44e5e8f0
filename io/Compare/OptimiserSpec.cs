using System.Reflection;
using BioSim.Engine.Plugins;
using BioSim.Plasticity;
using BioSim.Plasticity.Optimisers;

namespace BioSim.IO.Compare;

/// <summary>An optimiser from the catalogue ("type"), its learning rate ("lr") and settings (its public settable properties).</summary>
/// <param name="Type">"type": the optimiser's catalogue name ("sgd").</param>
/// <param name="LearningRate">The top-level "lr".</param>
/// <param name="Options">The settings from the other keys of "optimiser" (snake_case of the property names), with their values.</param>
/// <param name="Description">The optimiser in words, for the summary ("SGD with momentum 0.9, lr 0.01").</param>
public sealed record OptimiserSpec(string Type, double LearningRate, IReadOnlyList<(PropertyInfo Property, object? Value)> Options, string Description = "")
{
    /// <summary>A fresh optimiser with the settings applied.</summary>
    public IOptimiser Create(Catalogue catalogue)
    {
        var optimiser = catalogue.CreateOptimiser(Type);
        optimiser.LearningRate = LearningRate;
        foreach (var (property, value) in Options) property.SetValue(optimiser, value);
        return optimiser;
    }

    /// <summary>The <see cref="Description"/>.</summary>
    public override string ToString() => Description;
}
