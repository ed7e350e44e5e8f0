using System.Diagnostics;
using System.Text.Json.Nodes;
using NUnit.Framework;

namespace BioSim.Tests.Cli;

/// <summary>Runs the real <c>biosim</c> program (copied next to the tests) as a child process.</summary>
internal static class BiosimProcess
{
    public static string Dll => Path.Combine(TestContext.CurrentContext.TestDirectory, "biosim.dll");

    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
        : "dotnet";

    public static ProcessStartInfo StartInfo(params string[] arguments)
    {
        var start = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Dll);
        foreach (string a in arguments) start.ArgumentList.Add(a);
        return start;
    }

    public static (int ExitCode, string StandardOutput, string StandardError) Run(params string[] arguments) =>
        IO.ExternalTools.Run(DotnetHost, [Dll, .. arguments]);

    /// <summary>Runs biosim with some environment variables set (a null value removes the variable).</summary>
    public static (int ExitCode, string StandardOutput, string StandardError) RunWithEnvironment(
        IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        var start = StartInfo(arguments);
        foreach (var (name, value) in environment)
        {
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start biosim");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(IO.ExternalTools.HangLimit))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"biosim {string.Join(' ', arguments)} did not finish within {IO.ExternalTools.HangLimit.TotalMinutes} minutes (a hang)");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// Starts biosim with <paramref name="arguments"/> (and <paramref name="environment"/> added), waits until its stderr holds
    /// <paramref name="lines"/> lines containing <paramref name="marker"/> (a run's progress lines by default: non-terminal runs
    /// log after the first block, then every 10 % of the duration), applies <paramref name="stop"/> (a signal, a kill) and
    /// waits for the exit. Fails if biosim ends on its own first.
    /// </summary>
    /// <returns>The exit code and everything written to stderr.</returns>
    public static (int ExitCode, string Stderr) StopAfterProgress(string[] arguments, Action<Process> stop, int lines = 2,
        string marker = "biosim: t = ", IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = StartInfo(arguments);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start biosim");
        var stderr = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(3))
        {
            lock (stderr)
            {
                if (stderr.ToString().Split(marker).Length > lines) break;
            }
            Assert.That(process.HasExited, Is.False, () => $"biosim ended before it could be stopped: {stderr}");
            Thread.Sleep(20);
        }
        stop(process);
        Assert.That(process.WaitForExit(120_000), Is.True, "biosim ends after being stopped");
        process.WaitForExit();
        lock (stderr) return (process.ExitCode, stderr.ToString());
    }

    /// <summary>Sends <paramref name="signal"/> ("TERM", "USR1", …) to <paramref name="process"/> with kill(1).</summary>
    public static void Signal(Process process, string signal) =>
        Process.Start("kill", [$"-{signal}", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();

    /// <summary>Writes a copy of examples/cuba.json with some fields changed, into <paramref name="directory"/>.</summary>
    public static string CubaVariant(string directory, Action<JsonObject> change, string name = "cuba-variant.json")
    {
        var json = JsonNode.Parse(File.ReadAllText(TestPaths.Example("cuba.json")))!.AsObject();
        change(json);
        string path = Path.Combine(directory, name);
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    public static string TempDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), "biosim-tests-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}

/// <summary>A fixture whose tests each get a fresh directory (<see cref="Dir"/>), deleted with everything in it afterwards.</summary>
public abstract class TempDirectoryFixture
{
    protected string Dir { get; private set; } = "";

    [SetUp]
    public void CreateDirectory() => Dir = BiosimProcess.TempDirectory();

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(Dir, recursive: true);
}
