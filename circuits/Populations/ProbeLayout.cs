namespace BioSim.Circuits.Populations;

/// <summary>
/// What a probe records from one population, in SONATA's report layout: each sample copies
/// <paramref name="Values"/>[<paramref name="Entries"/>[j]] into column j; node <paramref name="NodeIds"/>[i] owns columns
/// <paramref name="IndexPointers"/>[i] .. IndexPointers[i + 1] − 1, and <paramref name="ElementIds"/> names each column
/// (0 for a point neuron's one column, the section index of each segment of a cable cell).
/// </summary>
/// <param name="Variable">The variable's name as the report stores it.</param>
/// <param name="Unit">Its unit (e.g. "mV").</param>
/// <param name="Values">The live state array a sample copies from (the population's, never a copy), in <paramref name="Unit"/>.</param>
/// <param name="Entries">For each column j, the index into <paramref name="Values"/> that column j copies.</param>
/// <param name="NodeIds">The node (neuron or cell index in the population) of each node block of columns.</param>
/// <param name="IndexPointers">Column range of each node: node i owns columns IndexPointers[i] .. IndexPointers[i + 1] − 1; one
/// more entry than <paramref name="NodeIds"/>, the last equal to the number of columns.</param>
/// <param name="ElementIds">What each column is within its node: 0 for a point neuron, the section index for a cable cell's segment.</param>
public sealed record ProbeLayout(
    string Variable, string Unit, double[] Values, int[] Entries, ulong[] NodeIds, ulong[] IndexPointers, uint[] ElementIds)
{
    /// <summary>One column per element: <paramref name="elements"/> of <paramref name="values"/>, each its own node.</summary>
    public static ProbeLayout PerElement(string variable, string unit, double[] values, int[] elements)
    {
        var nodeIds = new ulong[elements.Length];
        var pointers = new ulong[elements.Length + 1];
        for (int i = 0; i < elements.Length; i++) nodeIds[i] = (ulong)elements[i];
        for (int i = 0; i < pointers.Length; i++) pointers[i] = (ulong)i;
        return new ProbeLayout(variable, unit, values, elements, nodeIds, pointers, new uint[elements.Length]);
    }
}
