using System.Text.Json;
using System.Text.Json.Nodes;
using BioSim.Engine.Simulation;
using BioSim.IO.Experiments;
using BioSim.IO.Hdf5;

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
        string temporary = path + ".tmp";
        using (var file = Hdf5File.Create(temporary))
        {
            file.SetAttribute("epoch", snapshot.Step);
            file.SetAttribute("status", header.Status);
            file.SetAttribute("rule", header.Rule);
            file.SetAttribute("label", header.Label);
            file.SetAttribute("seed", (long)header.Seed);
            file.SetAttribute("experiment", Fingerprint(experiment.Json));
            foreach (var (key, values) in snapshot.Reals) file.WriteDataset<double>($"reals/{key}", values);
            foreach (var (key, values) in snapshot.Integers) file.WriteDataset<long>($"integers/{key}", values);
            file.Flush();
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The snapshot (Step: epochs completed) and status text of a checkpoint, which must come from the same
    /// comparison (its epoch count may differ).</summary>
    public static (StateSnapshot Snapshot, string Status) Load(string path, ComparisonExperiment experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        using var file = Hdf5File.OpenReadOnly(path);
        if (file.GetStringAttribute("experiment") != Fingerprint(experiment.Json))
            throw new ExperimentException(experiment.File, "", $"{path} was written by a different comparison (only \"epochs\" may change between a run and its --resume); use another output folder or drop --resume");
        var snapshot = new StateSnapshot { Step = file.GetLongAttribute("epoch") };
        Collect(file, "reals", snapshot, integers: false);
        Collect(file, "integers", snapshot, integers: true);
        return (snapshot, file.GetStringAttribute("status"));
    }

    /// <summary>The comparison file without "epochs" (which a resumed comparison may raise), as compact JSON.</summary>
    public static string Fingerprint(string json)
    {
        var node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();
        node.Remove("epochs");
        return node.ToJsonString();
    }

    private static void Collect(Hdf5Location location, string prefix, StateSnapshot snapshot, bool integers, string key = "")
    {
        if (!location.Exists(prefix)) return;
        using var group = location.OpenGroup(prefix);
        foreach (string member in group.ListMembers())
        {
            string k = key.Length == 0 ? member : $"{key}/{member}";
            if (group.GetKind(member) == Hdf5ObjectKind.Group) Collect(group, member, snapshot, integers, k);
            else if (integers) snapshot.Put(k, group.ReadDataset<long>(member));
            else snapshot.Put(k, group.ReadDataset<double>(member));
        }
    }
}
