namespace BioSim.Circuits.Populations;

/// <summary>The parameters record of a population model: immutable, defaults and units in its doc comments, checked by <see cref="Validate"/>.</summary>
public interface IModelParameters
{
    /// <summary>Returns the first invalid field as "field: problem", or null when all are valid.</summary>
    string? Validate();
}
