using NUnit.Framework;

namespace BioSim.Tests.Cli;

/// <summary>
/// `bash cli/install.sh PREFIX` leaves a `biosim` command that works from any folder, with plotting (a single-file publish
/// lost the plotting library's native libraries), and that passes signals to biosim itself (the wrapper `exec`s dotnet, so a
/// scheduler's SIGTERM gives the contract's exit code 75 and a checkpoint, not a killed shell).
/// </summary>
[TestFixture, Category("Validation")]
public sealed class InstallTests : TempDirectoryFixture
{
    [Test]
    public void TheInstalledCommandRunsPlotsAndTakesSignalsFromAnyFolder()
    {
        string prefix = Path.Combine(Dir, "prefix");
        var (code, stdout, stderr) = IO.ExternalTools.Run("bash", [Path.Combine(TestPaths.Root, "cli", "install.sh"), prefix]);
        Assert.That(code, Is.EqualTo(0), stdout + stderr);
        string biosim = Path.Combine(prefix, "bin", "biosim");
        Assert.That(File.Exists(biosim), Is.True);
        Assert.That(stdout, Does.Contain($"install: {biosim} (0."));

        // From another folder, with relative paths there: the installed command needs nothing from the repository.
        string work = Path.Combine(Dir, "elsewhere");
        Directory.CreateDirectory(work);
        File.Copy(BiosimProcess.CubaVariant(Dir, j => j["duration"] = 100.0, "cuba-short.json"), Path.Combine(work, "cuba.json"));
        var run = new System.Diagnostics.ProcessStartInfo(biosim, ["run", "cuba.json", "-o", "out.h5", "-q", "--plot", "raster.png"])
        {
            WorkingDirectory = work,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using (var process = System.Diagnostics.Process.Start(run)!)
        {
            string output = process.StandardOutput.ReadToEnd(), errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.That(process.ExitCode, Is.EqualTo(0), output + errors);
        }
        Assert.That(new FileInfo(Path.Combine(work, "raster.png")).Length, Is.GreaterThan(10_000), "plotting works from the installed command");

        string experiment = BiosimProcess.CubaVariant(Dir, j => { j["duration"] = 5000.0; j["flush_interval"] = 10.0; }, "cuba-5s.json");
        var stopped = StopInstalled(biosim, ["run", experiment, "-o", Path.Combine(work, "long.h5"), "--checkpoint-every", "3600"]);
        Assert.That(stopped.Code, Is.EqualTo(75), stopped.Stderr);
        Assert.That(stopped.Stderr, Does.Contain("checkpoint written at the interruption"));
    }

    private static (int Code, string Stderr) StopInstalled(string biosim, string[] arguments) =>
        BiosimProcess.StopAfterProgress(new System.Diagnostics.ProcessStartInfo(biosim, arguments) { RedirectStandardOutput = true, RedirectStandardError = true },
            p => BiosimProcess.Signal(p, "TERM"));
}
