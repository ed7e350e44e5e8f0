namespace BioSim.Engine.Plugins;

/// <summary>A name that the <see cref="Catalogue"/> does not know for a kind; the message lists the known names.</summary>
public sealed class UnknownPluginException(string what, string name, IReadOnlyList<string> known)
    : ArgumentException($"Unknown {what} '{name}'; known: {string.Join(", ", known)}.", nameof(name))
{
    /// <summary>What the kind is called ("learning rule").</summary>
    public string What { get; } = what;

    /// <summary>The name that was asked for.</summary>
    public string Name { get; } = name;

    /// <summary>The names the catalogue knows for the kind, sorted.</summary>
    public IReadOnlyList<string> Known { get; } = known;
}
