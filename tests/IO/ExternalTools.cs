using System.Diagnostics;
using BioSim.Engine.Numerics;
using BioSim.IO.Datasets;
using NUnit.Framework;

namespace BioSim.Tests.IO;

/// <summary>
/// Runs the outside readers the HDF5 tests check against: Debian's /usr/bin/python3 with h5py
/// (python3-h5py; the <c>python3</c> on PATH is another interpreter without it) and h5dump (hdf5-tools),
/// and gives the tests the system's OpenBLAS (libopenblas0) and Fashion-MNIST (dataset-fashion-mnist).
/// A missing tool, library or data set fails the test naming the Debian package: CI installs them
/// (.ci/setup), so a skip would hide a broken machine (and .ci/run fails on any skip that is not [Explicit]).
/// </summary>
internal static class ExternalTools
{
    public const string Python = "/usr/bin/python3";

    public static string ScriptPath(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "scripts", name);

    /// <summary>Runs a script from tests/scripts with /usr/bin/python3 and returns its stdout; fails the test
    /// with the script's stderr when it exits non-zero.</summary>
    public static string RunPythonScript(string script, params string[] arguments)
    {
        if (!File.Exists(Python))
            Assert.Fail($"{Python} is missing; install the Debian packages python3 and python3-h5py (.ci/setup does)");
        var result = Run(Python, [ScriptPath(script), .. arguments]);
        if (result.ExitCode != 0)
        {
            string hint = result.StandardError.Contains("No module named 'h5py'", StringComparison.Ordinal)
                ? " (install the Debian package python3-h5py)" : "";
            Assert.Fail($"{script} exited with {result.ExitCode}{hint}:\n{result.StandardError}");
        }
        return result.StandardOutput;
    }

    /// <summary>How long an external program may run before a test calls it hung: a guard against hangs, not a speed
    /// check (tests stay deterministic; the longest single command, a comparison under a loaded machine, takes ~3 min).</summary>
    public static readonly TimeSpan HangLimit = TimeSpan.FromMinutes(15);

    /// <summary>Runs <c>h5dump</c> with the given arguments; fails the test when h5dump is not installed.</summary>
    public static (int ExitCode, string StandardOutput, string StandardError) RunH5dump(params string[] arguments)
    {
        string? h5dump = FindOnPath("h5dump");
        if (h5dump is null) Assert.Fail("h5dump is missing; install the Debian package hdf5-tools (.ci/setup does)");
        return Run(h5dump!, arguments);
    }

    /// <summary>The system OpenBLAS; fails the test when libopenblas.so.0 cannot be loaded.</summary>
    public static OpenBlasMatrixProduct OpenBlas()
    {
        if (!OpenBlasMatrixProduct.IsAvailable)
            Assert.Fail("OpenBLAS (libopenblas.so.0) could not be loaded; install the Debian package libopenblas0 (.ci/setup does)");
        return new OpenBlasMatrixProduct();
    }

    /// <summary>The kernel a test case names: "managed" (the widest managed kernel) or "openblas" (<see cref="OpenBlas"/>).</summary>
    public static IMatrixProduct MatrixProduct(string kernel) => kernel switch
    {
        "managed" => new ManagedMatrixProduct(),
        "openblas" => OpenBlas(),
        _ => throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "managed or openblas"),
    };

    /// <summary>Fails the test when the Debian package's Fashion-MNIST files are not in <see cref="FashionMnist.DefaultDirectory"/>.</summary>
    public static void RequireFashionMnist()
    {
        // The loader takes each file gzipped (as the package installs it) or raw.
        string[] stems = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];
        string[] missing = [.. stems.Where(f => !File.Exists(Path.Combine(FashionMnist.DefaultDirectory, f + ".gz"))
            && !File.Exists(Path.Combine(FashionMnist.DefaultDirectory, f))).Select(f => f + ".gz")];
        if (missing.Length > 0)
            Assert.Fail($"Fashion-MNIST is missing ({string.Join(", ", missing)} not in {FashionMnist.DefaultDirectory}); install the Debian package dataset-fashion-mnist (.ci/setup does)");
    }

    public static (int ExitCode, string StandardOutput, string StandardError) Run(string program, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {program}");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(HangLimit))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} {string.Join(' ', arguments)} did not finish within {HangLimit.TotalMinutes} minutes (a hang)");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string? FindOnPath(string name)
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(Path.PathSeparator))
        {
            string candidate = Path.Combine(directory, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
