using System.Reflection;
using BioSim.Engine.Plugins;
using BioSim.Plasticity;
using BioSim.Plasticity.Networks;

namespace BioSim.IO.Compare;

/// <summary>An initialisation from the catalogue and its settings (its public settable properties, by snake_case name).</summary>
/// <param name="Name">The initialisation's catalogue name ("pytorch", "orthogonal", "xavier-uniform", "distribution").</param>
/// <param name="Settings">The settings from the file, with their values (none for a bare name).</param>
/// <param name="Text">How the file gave it, for the summary ("orthogonal", "N(0, 1)").</param>
public sealed record InitialisationSpec(string Name, IReadOnlyList<(PropertyInfo Property, object? Value)> Settings, string Text)
{
    /// <summary>PyTorch's default (W, b ~ U[±1/√n_in]), the architecture's initialisation when the file names none.</summary>
    public static InitialisationSpec Default { get; } = new("pytorch", [], "pytorch");

    /// <summary>A fresh initialisation with the settings applied.</summary>
    public IWeightInitialisation Create(Catalogue catalogue)
    {
        var initialisation = catalogue.CreateInitialisation(Name);
        foreach (var (property, value) in Settings) property.SetValue(initialisation, value);
        return initialisation;
    }

    /// <summary>The <see cref="Text"/>.</summary>
    public override string ToString() => Text;
}
