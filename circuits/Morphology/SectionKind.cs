namespace BioSim.Circuits.Morphology;

/// <summary>The SWC structure types a section may carry (NeuroMorpho's standard codes 1 to 4, anything else custom).</summary>
public enum SectionKind
{
    /// <summary>SWC type 1, the soma.</summary>
    Soma = 1,

    /// <summary>SWC type 2, an axon.</summary>
    Axon = 2,

    /// <summary>SWC type 3, a basal dendrite.</summary>
    Basal = 3,

    /// <summary>SWC type 4, an apical dendrite.</summary>
    Apical = 4,

    /// <summary>Any other SWC type, or a section built in code without a kind. (The value 5 is not SWC's type 5.)</summary>
    Custom = 5,
}
