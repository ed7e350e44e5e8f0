using BioSim.IO.Hdf5;

namespace BioSim.IO.Sonata;

/// <summary>Reads what BioSim writes (SONATA spikes and reports) back, for the CLI's inspect and plot.</summary>
public static class SonataFileReader
{
    /// <summary>The spikes of every population under <c>/spikes</c> (timestamps in ms, node ids), in name order;
    /// none when the file has no <c>/spikes</c>.</summary>
    public static IReadOnlyList<SpikeTrains> ReadSpikes(Hdf5File file)
    {
        if (!file.Exists("/spikes")) return [];
        return file.ListMembers("/spikes")
            .Where(p => file.GetKind($"/spikes/{p}") == Hdf5ObjectKind.Group)
            .Select(p => new SpikeTrains(p, file.ReadDataset<double>($"/spikes/{p}/timestamps"), file.ReadDataset<ulong>($"/spikes/{p}/node_ids")))
            .ToArray();
    }

    /// <summary>Every frame-oriented report population under <c>/report</c>, read whole; none when the file has no
    /// <c>/report</c>.</summary>
    public static IReadOnlyList<StateReport> ReadReports(Hdf5File file)
    {
        if (!file.Exists("/report")) return [];
        var reports = new List<StateReport>();
        foreach (string p in file.ListMembers("/report"))
        {
            string root = $"/report/{p}";
            using var data = file.OpenDataset($"{root}/data");
            long[] shape = data.Shape;
            double[] values = data.Read<double>();
            double[] time = file.ReadDataset<double>($"{root}/mapping/time");
            string variable = data.HasAttribute("variable_name") ? data.GetStringAttribute("variable_name") : "";
            string units = data.HasAttribute("units") ? data.GetStringAttribute("units") : "";
            reports.Add(new StateReport(p, variable, units, time[0], time[1], time[2], file.ReadDataset<ulong>($"{root}/mapping/node_ids"),
                values, (int)shape[0], shape.Length > 1 ? (int)shape[1] : 1));
        }
        return reports;
    }

    /// <summary>Lines describing every group, dataset (with shape) and the root attributes BioSim writes.</summary>
    public static IReadOnlyList<string> Describe(Hdf5File file)
    {
        var lines = new List<string>();
        foreach (string name in new[] { "experiment_name", "status", "biosim_version", "seed", "dt", "duration", "simulated" })
        {
            if (!file.HasAttribute(name)) continue;
            string value = name switch
            {
                "seed" => file.GetLongAttribute(name).ToString(System.Globalization.CultureInfo.InvariantCulture),
                "dt" or "duration" or "simulated" => file.GetDoubleAttribute(name).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + " ms",
                _ => file.GetStringAttribute(name),
            };
            lines.Add($"@{name} = {value}");
        }
        Walk(file, "/", 0, lines);
        return lines;
    }

    private static void Walk(Hdf5File file, string path, int depth, List<string> lines)
    {
        foreach (string member in file.ListMembers(path))
        {
            string child = path == "/" ? "/" + member : $"{path}/{member}";
            string indent = new(' ', 2 * depth);
            if (file.GetKind(child) == Hdf5ObjectKind.Group)
            {
                lines.Add($"{indent}{member}/");
                Walk(file, child, depth + 1, lines);
            }
            else
            {
                using var ds = file.OpenDataset(child);
                string units = ds.HasAttribute("units") ? $" [{ds.GetStringAttribute("units")}]" : "";
                lines.Add($"{indent}{member} ({string.Join(" × ", ds.Shape)}){units}");
            }
        }
    }
}
