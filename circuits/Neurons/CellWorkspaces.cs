using BioSim.Engine.Simulation;

namespace BioSim.Circuits.Neurons;

/// <summary>
/// One working object per parallel chunk of a population (an adaptive stepper, a cell's vector field, its state
/// buffers), created on first use and kept. Chunks are fixed by the population and disjoint, so two threads never share
/// one, and each cell's result depends on its own state only: the same bits at any thread count.
/// </summary>
internal sealed class CellWorkspaces<T>(int size, Func<T> create) where T : class
{
    private readonly T?[] _items = new T?[(size + Simulator.ChunkSize - 1) / Simulator.ChunkSize];

    /// <summary>The workspace of the chunk that starts at cell <paramref name="start"/>.</summary>
    public T For(int start) => _items[Math.Min(start / Simulator.ChunkSize, _items.Length - 1)] ??= create();
}
