namespace BioSim.Engine.Plugins;

/// <summary>How long a resolved plug-in lives.</summary>
public enum PluginLifetime
{
    /// <summary>One shared instance (stateless plug-ins: models, connectivity, losses).</summary>
    Shared,

    /// <summary>A new instance per resolution (plug-ins that carry state: rules, optimisers, mechanisms).</summary>
    PerUse,
}
