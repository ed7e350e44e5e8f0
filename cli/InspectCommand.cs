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
        var command = new Command("inspect", "List the groups, datasets and run attributes of a results file, with spike counts.") { file };
        command.SetAction(result => Program.Guard(() => Inspect(result.GetValue(file)!)));
        return command;
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
