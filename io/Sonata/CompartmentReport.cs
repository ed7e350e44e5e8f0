using BioSim.Circuits.Cells;
using BioSim.Engine.Simulation;

namespace BioSim.IO.Sonata;

/// <summary>
/// A compartment probe of a <see cref="CablePopulation"/> written as a SONATA frame-oriented report: the
/// membrane potential of chosen nodes (by default every node with membrane, i.e. every segment centre) of
/// chosen cells, every <c>everySteps</c> steps. Each cell is a SONATA node (node id = cell index); its
/// columns are its recorded nodes in Hines order, with <c>element_ids</c> = the section index of each (the
/// convention of NEURON-based SONATA reports, where compartments of one section share its id).
/// Frames are gathered into one buffer allocated here, so recording does not allocate per step.
/// </summary>
public sealed class CompartmentReport : IStepObserver
{
    private readonly CablePopulation _population;
    private readonly ReportPopulationWriter _writer;
    private readonly int[] _cells;
    private readonly int[] _nodes;
    private readonly double[] _frame;
    private readonly int _every;
    private long _steps;

    /// <param name="writer">The file's report writer.</param>
    /// <param name="population">The cells to probe.</param>
    /// <param name="dt">The simulation step (ms); frames are every <paramref name="everySteps"/> × dt from t = that interval.</param>
    /// <param name="everySteps">Steps per frame (≥ 1).</param>
    /// <param name="cells">Cells to record (default all).</param>
    /// <param name="nodes">Nodes of each cell to record (default every node with membrane).</param>
    /// <param name="options">Storage of the report (chunking, compression, precision); its start, dt, units and variable
    /// name are replaced by the frame interval, "mV" and "v".</param>
    public CompartmentReport(SonataReportWriter writer, CablePopulation population, double dt, int everySteps = 1,
        IReadOnlyList<int>? cells = null, IReadOnlyList<int>? nodes = null, SonataReportOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(everySteps, 1);
        _population = population;
        _every = everySteps;
        _cells = (cells ?? Enumerable.Range(0, population.Size).ToArray()).ToArray();
        var layout = population.Layout;
        _nodes = (nodes ?? Enumerable.Range(0, layout.NodeCount).Where(i => layout.NodeArea[i] > 0).ToArray()).ToArray();
        foreach (int c in _cells)
        {
            if ((uint)c >= (uint)population.Size) throw new ArgumentOutOfRangeException(nameof(cells), $"Compartment report of '{population.Name}': cell {c} does not exist (the population has {population.Size}).");
        }
        foreach (int n in _nodes)
        {
            if ((uint)n >= (uint)layout.NodeCount) throw new ArgumentOutOfRangeException(nameof(nodes), $"Compartment report of '{population.Name}': node {n} does not exist (a cell has {layout.NodeCount}).");
        }
        var nodeIds = _cells.Select(c => (ulong)c).ToArray();
        var pointers = Enumerable.Range(0, _cells.Length + 1).Select(i => (ulong)(i * _nodes.Length)).ToArray();
        var elementIds = Enumerable.Range(0, _cells.Length).SelectMany(_ => _nodes.Select(n => (uint)layout.NodeSection[n])).ToArray();
        options = (options ?? new SonataReportOptions()) with { StartMs = dt * everySteps, DtMs = dt * everySteps, Units = "mV", VariableName = "v" };
        _writer = writer.AddPopulation(population.Name, nodeIds, pointers, elementIds, options);
        _frame = new double[_cells.Length * _nodes.Length];
    }

    /// <summary>The nodes recorded in each cell, in column order.</summary>
    public IReadOnlyList<int> Nodes => _nodes;

    /// <summary>Every <c>everySteps</c>-th step, appends one frame: the membrane potential (mV) of the recorded nodes
    /// of every recorded cell.</summary>
    public void AfterStep(double t, IReadOnlyList<Engine.Events.SpikeList> spikes)
    {
        if (++_steps % _every != 0) return;
        var v = _population.Voltages;
        int stride = _population.NodesPerCell, column = 0;
        foreach (int c in _cells)
        {
            int offset = c * stride;
            foreach (int n in _nodes) _frame[column++] = v[offset + n];
        }
        _writer.AppendFrame(_frame);
    }
}
