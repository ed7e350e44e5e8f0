using System.CommandLine;
using BioSim.Cli.Terminal;
using BioSim.Engine.Simulation;
using BioSim.IO.Experiments;
using BioSim.IO.Hdf5;
using BioSim.Workflows;
using BioSim.Workflows.Runs;

namespace BioSim.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var root = new RootCommand("BioSim: simulate biologically plausible neural circuits and write the traces to HDF5.")
        {
            RunCommand.Create(services),
            RunCommand.CreateResume(services),
            InspectCommand.Create(),
            PlotCommand.Create(),
            FitCommand.Create(services),
            CompareCommand.Create(services),
            VisualizeCommand.Create(services),
            SweepCommand.Create(services),
            CoresCommand.Create(services),
        };
        return root.Parse(args).Invoke();
    }

    /// <summary>Runs a command body, turning known failures into one clear line on stderr and a documented exit code.</summary>
    internal static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (UsageException e)
        {
            return Fail(e.Message, ExitCodes.BadInput);
        }
        catch (ExperimentException e)
        {
            return Fail(e.Message, ExitCodes.BadInput);
        }
        catch (SimulationDivergedException e)
        {
            return Fail(e.Message, ExitCodes.RunFailed);
        }
        catch (OperationCanceledException)
        {
            return Fail("interrupted; the output file holds every block completed before the interruption", ExitCodes.Cancelled);
        }
        catch (OutputExistsException e)
        {
            return Fail(e.Message, ExitCodes.BadInput);
        }
        catch (Hdf5Exception e)
        {
            return Fail(e.Message, ExitCodes.IoError);
        }
        catch (InvalidDataException e)
        {
            return Fail(e.Message, ExitCodes.BadInput);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DllNotFoundException)
        {
            return Fail(e.Message, ExitCodes.IoError);
        }
    }

    internal static int Fail(string message, int code)
    {
        // Under an MPI launcher every process reads the same input and finds the same fault: process 0 alone says so.
        if (code == ExitCodes.BadInput && BioSim.Engine.Distributed.MpiProcessGroup.LaunchRank != 0) return code;
        Console.Error.WriteLine($"biosim: error: {message}");
        return code;
    }
}
