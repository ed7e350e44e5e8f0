using BioSim.Engine.Simulation;
using BioSim.IO.Hdf5;

namespace BioSim.IO.Runs;

/// <summary>
/// Checkpoints of a run, kept in its own output file so that <c>biosim resume out.h5</c> needs nothing else.
/// Layout: <c>/checkpoint/slot0</c> and <c>/checkpoint/slot1</c>, written in turn, each with the engine's
/// whole state (<c>reals/&lt;key&gt;</c> float64, <c>integers/&lt;key&gt;</c> int64, the keys listed in the string
/// datasets <c>real_keys</c> and <c>integer_keys</c>), how much of each spike and state report belonged to
/// that moment (<c>spike_rows/&lt;population&gt;</c>, <c>report_frames/&lt;population&gt;</c>, <c>weight_frames/&lt;projection&gt;</c>), the spike count
/// of every population, and the attributes <c>step</c>, <c>time</c> (ms) and <c>complete</c>.
/// <para>
/// A slot is marked incomplete and flushed before it is overwritten, and complete (then named in the
/// attribute <c>latest</c> of <c>/checkpoint</c>) only after its data are flushed; so a process killed while
/// writing one leaves the other slot, complete and a little older, to resume from. The first checkpoint creates both
/// slots with all their datasets, so that every later one rewrites in place (a run's file is in SWMR mode by then, whose
/// write ordering covers appends and overwrites, not new objects: <see cref="Hdf5File"/>).
/// </para>
/// </summary>
public sealed class RunCheckpoints(Hdf5File file)
{
    private const string Root = "/checkpoint";
    private int _next = -1;

    /// <summary>What a checkpoint holds besides the engine state.</summary>
    public sealed record Position(IReadOnlyDictionary<string, long> SpikeRows, IReadOnlyDictionary<string, long> ReportFrames, long[] SpikeCounts)
    {
        /// <summary>Frames of each weight report (by projection) that belong to the checkpoint.</summary>
        public IReadOnlyDictionary<string, long> WeightFrames { get; init; } = new Dictionary<string, long>();
    }

    /// <summary>Writes a checkpoint into the slot not holding the latest one, and flushes the file.</summary>
    public void Write(StateSnapshot state, double timeMs, Position position)
    {
        if (_next < 0) _next = Latest(file) is { } latest ? 1 - latest : 0;
        using var root = file.OpenOrCreateGroup(Root);
        // Both slots, with every dataset, are created by the first checkpoint: later ones only rewrite data and attributes in
        // place, so a run creates no object after its start (SWMR orders writes to existing objects, not the creation of new ones).
        bool created = false;
        foreach (int s in (int[])[_next, 1 - _next])
        {
            if (file.Exists($"{Root}/slot{s}")) continue;
            CreateSlot($"{Root}/slot{s}", state, position);
            created = true;
        }
        string path = $"{Root}/slot{_next}";
        using var slot = file.OpenGroup(path);
        slot.SetAttribute("complete", 0L);
        file.Flush();

        if (!created)
        {
            RequireSameKeys(slot, "real_keys", state.Reals.Keys);
            RequireSameKeys(slot, "integer_keys", state.Integers.Keys);
        }
        foreach (var (key, values) in state.Reals) Put(slot, "reals/" + key, values);
        foreach (var (key, values) in state.Integers) Put(slot, "integers/" + key, values);
        foreach (var (name, rows) in position.SpikeRows) Put(slot, "spike_rows/" + name, [rows]);
        foreach (var (name, frames) in position.ReportFrames) Put(slot, "report_frames/" + name, [frames]);
        foreach (var (name, frames) in position.WeightFrames) Put(slot, "weight_frames/" + name, [frames]);
        Put(slot, "spike_counts", position.SpikeCounts);
        slot.SetAttribute("step", state.Step);
        slot.SetAttribute("time", timeMs);
        file.Flush();

        slot.SetAttribute("complete", 1L);
        root.SetAttribute("latest", (long)_next);
        file.Flush();
        _next = 1 - _next;
    }

    /// <summary>Creates an incomplete slot with the datasets (empty) and the attributes a checkpoint of <paramref name="state"/>
    /// and <paramref name="position"/> writes.</summary>
    private void CreateSlot(string path, StateSnapshot state, Position position)
    {
        using var slot = file.CreateGroup(path);
        slot.SetAttribute("complete", 0L);
        slot.SetAttribute("step", 0L);
        slot.SetAttribute("time", 0.0);
        slot.WriteDataset("real_keys", string.Join('\n', state.Reals.Keys));
        slot.WriteDataset("integer_keys", string.Join('\n', state.Integers.Keys));
        foreach (string key in state.Reals.Keys) slot.CreateAppendable<double>("reals/" + key).Dispose();
        foreach (string key in state.Integers.Keys) slot.CreateAppendable<long>("integers/" + key).Dispose();
        foreach (string name in position.SpikeRows.Keys) slot.CreateAppendable<long>("spike_rows/" + name).Dispose();
        foreach (string name in position.ReportFrames.Keys) slot.CreateAppendable<long>("report_frames/" + name).Dispose();
        foreach (string name in position.WeightFrames.Keys) slot.CreateAppendable<long>("weight_frames/" + name).Dispose();
        slot.CreateAppendable<long>("spike_counts").Dispose();
    }

    /// <summary>The newest complete checkpoint in <paramref name="file"/>, or null when it has none.</summary>
    public static (StateSnapshot State, double TimeMs, Position Position)? ReadLatest(Hdf5File file)
    {
        if (Latest(file) is not { } latest) return null;
        foreach (int candidate in (int[])[latest, 1 - latest])
        {
            string path = $"{Root}/slot{candidate}";
            if (!file.Exists(path)) continue;
            using var slot = file.OpenGroup(path);
            if (!slot.HasAttribute("complete") || slot.GetLongAttribute("complete") != 1) continue;
            var state = new StateSnapshot { Step = slot.GetLongAttribute("step") };
            foreach (string key in Keys(slot, "real_keys")) state.Put(key, slot.ReadDataset<double>("reals/" + key));
            foreach (string key in Keys(slot, "integer_keys")) state.Put(key, slot.ReadDataset<long>("integers/" + key));
            var spikeRows = ReadCounts(slot, "spike_rows");
            var reportFrames = ReadCounts(slot, "report_frames");
            return (state, slot.GetDoubleAttribute("time"), new Position(spikeRows, reportFrames, slot.ReadDataset<long>("spike_counts"))
            {
                WeightFrames = ReadCounts(slot, "weight_frames"),
            });
        }
        return null;
    }

    private static int? Latest(Hdf5File file)
    {
        if (!file.Exists(Root)) return null;
        using var root = file.OpenGroup(Root);
        return root.HasAttribute("latest") ? (int)root.GetLongAttribute("latest") : null;
    }

    private static Dictionary<string, long> ReadCounts(Hdf5Group slot, string group)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        if (!slot.Exists(group)) return counts;
        foreach (string name in slot.ListMembers(group)) counts[name] = slot.ReadDataset<long>($"{group}/{name}")[0];
        return counts;
    }

    private static string[] Keys(Hdf5Group slot, string dataset)
    {
        string joined = slot.ReadString(dataset);
        return joined.Length == 0 ? [] : joined.Split('\n');
    }

    private static void RequireSameKeys(Hdf5Group slot, string dataset, IEnumerable<string> keys)
    {
        if (!Keys(slot, dataset).SequenceEqual(keys))
            throw new InvalidOperationException($"{slot.File.FileName}: checkpoint {slot.Path} holds other state than this run's ({dataset} differ)");
    }

    /// <summary>Writes one state array. Arrays are chunked with an unlimited length, so an array whose length changes between
    /// checkpoints (events in flight, pending synaptic arrivals) is rewritten in place, cut back or extended.</summary>
    private static void Put<T>(Hdf5Group slot, string path, ReadOnlySpan<T> values) where T : unmanaged
    {
        using var dataset = slot.OpenAppendable<T>(path);
        dataset.Replace(values);
    }
}
