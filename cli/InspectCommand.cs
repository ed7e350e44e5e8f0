using System.CommandLine;
using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;

namespace BioSim.Cli;

/// <summary><c>biosim inspect out.h5</c>: what a results file holds.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "An HDF5 file written by biosim run." };
        var status = new Option<bool>("--status")
        {
            Description = "Print only the run's status and exit with it: 0 completed, 75 stopped with a checkpoint to resume from "
                + "(cancelled, or killed while running), 1 otherwise. For job scripts: mpiexec exits 0 when it is itself sent SIGTERM.",
        };
        var command = new Command("inspect", "List the groups, datasets and run attributes of a results file, with spike counts.") { file, status };
        command.SetAction(result => Program.Guard(() => result.GetValue(status) ? Status(result.GetValue(file)!) : Inspect(result.GetValue(file)!)));
        return command;
    }

    /// <summary>The run's status attribute on stdout, and as the exit code (see the option's description).</summary>
    private static int Status(FileInfo path)
    {
        if (!path.Exists) return Program.Fail($"{path}: no such file", ExitCodes.IoError);
        using var file = Hdf5File.OpenReadOnly(path.FullName);
        if (!file.HasAttribute("status")) return Program.Fail($"{path}: no 'status' attribute: not an output of biosim run", ExitCodes.BadInput);
        string status = file.GetStringAttribute("status");
        bool checkpoint = file.Exists("checkpoint");
        long processes = file.HasAttribute("processes") ? file.GetLongAttribute("processes") : 1;
        string resume = processes > 1 ? $"mpiexec -n {processes} biosim resume {path}" : $"biosim resume {path}";
        Console.WriteLine(checkpoint && status != "completed" ? $"{status} (resumable: {resume})" : status);
        if (status == "completed") return ExitCodes.Ok;
        return checkpoint ? ExitCodes.Interrupted : ExitCodes.RunFailed;
    }

    private static int Inspect(FileInfo path)
    {
        if (!path.Exists) return Program.Fail($"{path}: no such file", ExitCodes.IoError);
        using var file = Hdf5File.OpenReadOnly(path.FullName);
        Console.WriteLine(path);
        foreach (string line in SonataFileReader.Describe(file)) Console.WriteLine("  " + line);
        foreach (var s in SonataFileReader.ReadSpikes(file))
        {
            Console.WriteLine($"  spikes of {s.Population}: {s.TimestampsMs.Length} from {s.NodeIds.Distinct().Count()} neurons" +
                (s.TimestampsMs.Length > 0 ? $", t = {s.TimestampsMs.Min():0.###} … {s.TimestampsMs.Max():0.###} ms" : ""));
        }
        return ExitCodes.Ok;
    }
}
