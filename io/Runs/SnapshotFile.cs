using BioSim.Engine.Simulation;
using BioSim.IO.Hdf5;

namespace BioSim.IO.Runs;

/// <summary>
/// A <see cref="StateSnapshot"/> as a file of its own (a training checkpoint): every array as a dataset under /reals or
/// /integers, the snapshot's step, the build's version (@biosim_version) and string attributes at the root. Written to a temporary file and renamed, so a kill
/// leaves either the old or the new file.
/// </summary>
public static class SnapshotFile
{
    /// <summary>Writes <paramref name="snapshot"/> (its Step as @<paramref name="stepName"/>), <paramref name="attributes"/> and
    /// <paramref name="numbers"/> to <paramref name="path"/>.</summary>
    public static void Save(string path, StateSnapshot snapshot, string stepName, IReadOnlyDictionary<string, string> attributes,
        IReadOnlyDictionary<string, long>? numbers = null)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(attributes);
        string temporary = path + ".tmp";
        using (var file = Hdf5File.Create(temporary))
        {
            file.SetAttribute(stepName, snapshot.Step);
            file.SetAttribute("biosim_version", BioSimVersion.Text);
            foreach (var (name, value) in attributes) file.SetAttribute(name, value);
            foreach (var (name, value) in numbers ?? new Dictionary<string, long>()) file.SetAttribute(name, value);
            foreach (var (key, values) in snapshot.Reals) file.WriteDataset<double>($"reals/{key}", values);
            foreach (var (key, values) in snapshot.Integers) file.WriteDataset<long>($"integers/{key}", values);
            file.Flush();
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The snapshot in <paramref name="file"/> (Step from @<paramref name="stepName"/>); a checkpoint written by another
    /// build is refused (<see cref="BioSimVersion.CheckResumable"/>).</summary>
    public static StateSnapshot Read(Hdf5File file, string stepName)
    {
        ArgumentNullException.ThrowIfNull(file);
        BioSimVersion.CheckResumable(file.FileName, file.HasAttribute("biosim_version") ? file.GetStringAttribute("biosim_version") : null,
            "start over with --force");
        var snapshot = new StateSnapshot { Step = file.GetLongAttribute(stepName) };
        Collect(file, "reals", snapshot, integers: false);
        Collect(file, "integers", snapshot, integers: true);
        return snapshot;
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
