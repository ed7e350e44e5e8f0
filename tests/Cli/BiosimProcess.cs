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
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"biosim {string.Join(' ', arguments)} did not finish within 2 minutes");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

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
