using System.Text.Json;
using System.Text.Json.Nodes;
using BioSim.Engine.Simulation;
using BioSim.IO.Experiments;
using BioSim.IO.Hdf5;
using BioSim.IO.Runs;

namespace BioSim.IO.Compare;

/// <summary>
/// The file format of one comparison run's checkpoint in HDF5: every array of a <see cref="StateSnapshot"/>
/// (network/, rule/, optimiser/, history/) as a dataset under /reals or /integers, plus @epoch (the snapshot's step:
/// epochs completed), @status, @rule, @label, @seed and the comparison file's fingerprint (@experiment). Written to a
/// temporary file and renamed, so a kill leaves either the old or the new checkpoint.
/// </summary>
public static class ComparisonCheckpoint
{
    /// <summary>Writes <paramref name="snapshot"/> (its Step is the epochs completed) to <paramref name="path"/>.</summary>
    public static void Save(string path, ComparisonExperiment experiment, CheckpointHeader header, StateSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(snapshot);
        SnapshotFile.Save(path, snapshot, "epoch", new Dictionary<string, string>
        {
            ["status"] = header.Status,
            ["rule"] = header.Rule,
            ["label"] = header.Label,
            ["experiment"] = Fingerprint(experiment.Json),
        }, new Dictionary<string, long> { ["seed"] = (long)header.Seed });    }

    /// <summary>The snapshot (Step: epochs completed) and status text of a checkpoint, which must come from the same
    /// comparison (its epoch count may differ).</summary>
    public static (StateSnapshot Snapshot, string Status) Load(string path, ComparisonExperiment experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        using var file = Hdf5File.OpenReadOnly(path);
        if (file.GetStringAttribute("experiment") != Fingerprint(experiment.Json))
            throw new ExperimentException(experiment.File, "", $"{path} was written by a different comparison (only \"epochs\" may change between a run and its --resume); use another output folder or drop --resume");
        return (SnapshotFile.Read(file, "epoch"), file.GetStringAttribute("status"));
    }

    /// <summary>The comparison file without "epochs" (which a resumed comparison may raise), as compact JSON.</summary>
    public static string Fingerprint(string json)
    {
        var node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();
        node.Remove("epochs");
        return node.ToJsonString();
    }
}
