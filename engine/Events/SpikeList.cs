using System.Runtime.CompilerServices;
namespace BioSim.Engine.Events;

/// <summary>
/// The spikes one population emitted in one step: element index and exact spike time (ms), in the
/// order they were added. Grows when needed and is reused step after step, so it does not allocate
/// in steady state.
/// </summary>
public sealed class SpikeList
{
    private int[] _ids;
    private double[] _times;

    /// <param name="capacity">Spikes the list holds before it first grows (at least 4 are reserved).</param>
    public SpikeList(int capacity = 64)
    {
        _ids = new int[Math.Max(capacity, 4)];
        _times = new double[_ids.Length];
    }

    /// <summary>Number of spikes in the list.</summary>
    public int Count { get; private set; }

    /// <summary>Index of the spiking element within its population, one per spike.</summary>
    public ReadOnlySpan<int> Ids => _ids.AsSpan(0, Count);

    /// <summary>Time of each spike, ms, as the model computed it within its step (not rounded to the step grid).</summary>
    public ReadOnlySpan<double> Times => _times.AsSpan(0, Count);

    /// <summary>Appends a spike of element <paramref name="id"/> at <paramref name="time"/> (ms); the storage
    /// doubles when it is full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(int id, double time)
    {
        if (Count == _ids.Length)
        {
            Array.Resize(ref _ids, Count * 2);
            Array.Resize(ref _times, Count * 2);
        }
        _ids[Count] = id;
        _times[Count] = time;
        Count++;
    }

    /// <summary>Appends every spike of <paramref name="other"/>.</summary>
    public void AddRange(SpikeList other)
    {
        for (int k = 0; k < other.Count; k++) Add(other._ids[k], other._times[k]);
    }

    /// <summary>Orders the spikes by time (ties by index), so that reports are time-sorted.</summary>
    public void SortByTime()
    {
        if (Count < 2) return;
        // Insertion sort: a step holds few spikes, and they arrive nearly sorted by index.
        for (int a = 1; a < Count; a++)
        {
            double t = _times[a];
            int id = _ids[a];
            int b = a - 1;
            while (b >= 0 && (_times[b] > t || (_times[b] == t && _ids[b] > id)))
            {
                _times[b + 1] = _times[b];
                _ids[b + 1] = _ids[b];
                b--;
            }
            _times[b + 1] = t;
            _ids[b + 1] = id;
        }
    }

    /// <summary>Removes the spikes at positions ≥ <paramref name="from"/> whose element is in <paramref name="sortedIds"/>; both
    /// those spikes and <paramref name="sortedIds"/> must be in ascending element order. The others keep their order.</summary>
    public void RemoveElements(int from, ReadOnlySpan<int> sortedIds)
    {
        int keep = from, j = 0;
        for (int k = from; k < Count; k++)
        {
            int id = _ids[k];
            while (j < sortedIds.Length && sortedIds[j] < id) j++;
            if (j < sortedIds.Length && sortedIds[j] == id) continue;
            _ids[keep] = id;
            _times[keep] = _times[k];
            keep++;
        }
        Count = keep;
    }

    /// <summary>Empties the list and keeps its storage for the next step.</summary>
    public void Clear() => Count = 0;
}
