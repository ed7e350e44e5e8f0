namespace BioSim.Engine.Plugins;

/// <summary>One name in the <see cref="Catalogue"/>: the kind of plug-in (its service type) and the name files use.</summary>
public sealed record CatalogueEntry(Type Kind, string Name);
