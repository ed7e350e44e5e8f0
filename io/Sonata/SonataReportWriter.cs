using BioSim.IO.Hdf5;

namespace BioSim.IO.Sonata;

/// <summary>
/// Writes state traces as SONATA frame-oriented reports (SONATA developer guide, "Frame oriented, node
/// element recordings"), one population at a time, frames appended block by block:
/// <list type="bullet">
/// <item><c>/report/&lt;population&gt;/data</c> [time × element], float64 (or float32), attributes
/// <c>units</c> and <c>variable_name</c>;</item>
/// <item><c>mapping/node_ids</c> (uint64), <c>mapping/index_pointers</c> (uint64, one more than the nodes:
/// the elements of node i are columns index_pointers[i] .. index_pointers[i+1]),
/// <c>mapping/element_ids</c> (uint32, one per column);</item>
/// <item><c>mapping/time</c> = [start, stop, dt] (float64, ms, attribute <c>units</c>), stop exclusive,
/// rewritten at every <see cref="Flush"/> to cover the frames flushed.</item>
/// </list>
/// The writer does not own the file; <see cref="Flush"/> flushes the whole file.
/// </summary>
public sealed class SonataReportWriter : IDisposable
{
    private readonly Hdf5File _file;
    private readonly Dictionary<string, ReportPopulationWriter> _populations = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <param name="file">The file to write into, open for writing; it stays the caller's to close.</param>
    public SonataReportWriter(Hdf5File file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.IsReadOnly) throw new ArgumentException($"'{file.FileName}' is open read-only", nameof(file));
        _file = file;
    }

    /// <summary>Adds a population whose nodes each have one element (a point neuron's soma): one column per
    /// node, index pointers 0, 1, ..., n, element ids 0 (the soma's section id).</summary>
    public ReportPopulationWriter AddPopulation(string population, ReadOnlySpan<ulong> nodeIds, SonataReportOptions options)
    {
        var indexPointers = new ulong[nodeIds.Length + 1];
        for (int i = 0; i < indexPointers.Length; i++) indexPointers[i] = (ulong)i;
        return AddPopulation(population, nodeIds, indexPointers, new uint[nodeIds.Length], options);
    }

    /// <summary>Adds a population with several elements (compartments) per node. Columns of <c>data</c> are
    /// the elements in order; node i owns columns <paramref name="indexPointers"/>[i] ..
    /// <paramref name="indexPointers"/>[i+1] − 1.</summary>
    public ReportPopulationWriter AddPopulation(
        string population, ReadOnlySpan<ulong> nodeIds, ReadOnlySpan<ulong> indexPointers, ReadOnlySpan<uint> elementIds,
        SonataReportOptions options)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentException.ThrowIfNullOrEmpty(population);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (population.Contains('/')) throw new ArgumentException($"population name '{population}' must not contain '/'", nameof(population));
        if (_populations.ContainsKey(population)) throw new ArgumentException($"report population '{population}' was already added", nameof(population));
        ValidateMapping(population, nodeIds, indexPointers, elementIds);
        var writer = new ReportPopulationWriter(_file, population, nodeIds, indexPointers, elementIds, options);
        _populations.Add(population, writer);
        return writer;
    }

    /// <summary>Reopens a report population this file already holds (resuming a run), keeping its first
    /// <paramref name="frames"/> frames and dropping the rest; start, dt and units are those in the file.</summary>
    public ReportPopulationWriter Reopen(string population, long frames)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_populations.ContainsKey(population)) throw new ArgumentException($"report population '{population}' is already open", nameof(population));
        var writer = new ReportPopulationWriter(_file, population, frames);
        _populations.Add(population, writer);
        return writer;
    }

    private static void ValidateMapping(string population, ReadOnlySpan<ulong> nodeIds, ReadOnlySpan<ulong> indexPointers, ReadOnlySpan<uint> elementIds)
    {
        if (elementIds.IsEmpty) throw new ArgumentException($"report population '{population}': no elements to record", nameof(elementIds));
        if (indexPointers.Length != nodeIds.Length + 1)
            throw new ArgumentException(
                $"report population '{population}': index_pointers needs {nodeIds.Length + 1} entries (nodes + 1), got {indexPointers.Length}",
                nameof(indexPointers));
        if (indexPointers[0] != 0 || indexPointers[^1] != (ulong)elementIds.Length)
            throw new ArgumentException(
                $"report population '{population}': index_pointers must run from 0 to {elementIds.Length} (the element count), got {indexPointers[0]} .. {indexPointers[^1]}",
                nameof(indexPointers));
        for (int i = 1; i < indexPointers.Length; i++)
            if (indexPointers[i] < indexPointers[i - 1])
                throw new ArgumentException($"report population '{population}': index_pointers[{i}] = {indexPointers[i]} is below index_pointers[{i - 1}] = {indexPointers[i - 1]}", nameof(indexPointers));
    }

    /// <summary>Flushes the file, then brings every population's <c>mapping/time</c> up to date and flushes
    /// again: every frame appended so far is on disk when this returns. The order matters for a run that is
    /// killed inside Flush: <c>time</c> may then lag the frames on disk, but never claims frames that are
    /// not there.</summary>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _file.Flush();
        bool changed = false;
        foreach (ReportPopulationWriter population in _populations.Values) changed |= population.UpdateTime();
        if (changed) _file.Flush();
    }

    /// <summary>Flushes (when the file is still open) and closes the population datasets; the file stays open.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        if (_file.IsOpen) Flush();
        _disposed = true;
        foreach (ReportPopulationWriter population in _populations.Values) population.Close();
    }
}
