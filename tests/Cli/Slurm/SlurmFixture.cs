using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;
using NUnit.Framework;

namespace BioSim.Tests.Cli.Slurm;

/// <summary>
/// A real single-node Slurm for the tests that derive from this class: <c>tests/Cli/Slurm/slurm-local.sh</c> starts munged,
/// slurmctld and slurmd (Debian's packages, which .ci/setup installs) in a private temporary directory on free ports and
/// waits until the node is idle; every test's jobs are cancelled after it, and after the fixture every daemon this fixture
/// started is stopped by the PID it recorded (the script's stop, then a check of each PID and SIGKILL to any survivor) —
/// also when a test or the start failed. Slurm runs as root (SlurmUser=root): as another user the script runs under
/// <c>sudo -n</c>, and a machine with neither fails here with that message.
/// </summary>
/// <remarks>
/// Jobs call <c>biosim</c> by name, as a cluster user's job scripts do: <see cref="Bin"/> holds a wrapper that <c>exec</c>s
/// dotnet on the build's biosim.dll (what cli/install.sh installs, without a second publish) and is first on the PATH
/// that sbatch passes to every job. Slurm's requeue delay (cred_expire) is 5 s and KillWait 5 s, so a requeued job starts
/// again within about 7 s. Waits poll Slurm and the job logs with a generous limit that only guards against hangs.
/// </remarks>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public abstract class SlurmFixture
{
    /// <summary>A guard against hangs while waiting for Slurm (not a speed check).</summary>
    protected static readonly TimeSpan WaitLimit = TimeSpan.FromMinutes(3);

    private static readonly string[] Daemons = ["munged", "slurmctld", "slurmd"];
    private static readonly HashSet<string> FinalStates = ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE", "PREEMPTED"];

    private readonly Dictionary<string, int> _daemonPids = [];
    private readonly List<string> _jobs = [];
    private bool _cleanedUp;

    /// <summary>The fixture's temporary directory (Slurm's state under slurm/, the wrapper under bin/).</summary>
    protected string Root { get; private set; } = "";

    /// <summary>The folder holding the <c>biosim</c> wrapper, first on every job's PATH.</summary>
    protected string Bin => Path.Combine(Root, "bin");

    /// <summary>A fresh folder for the current test's job files and outputs, under <see cref="Root"/>.</summary>
    protected string Dir { get; private set; } = "";

    private string SlurmDir => Path.Combine(Root, "slurm");

    private string Conf => Path.Combine(SlurmDir, "etc", "slurm.conf");

    private static string Script => Path.Combine(TestPaths.Root, "tests", "Cli", "Slurm", "slurm-local.sh");

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    private static bool IsRoot => GetEuid() == 0;

    [OneTimeSetUp]
    public void StartSlurm()
    {
        Root = BiosimProcess.TempDirectory();
        Directory.CreateDirectory(Bin);
        string wrapper = Path.Combine(Bin, "biosim");
        File.WriteAllText(wrapper, $"#!/bin/sh\nexec '{BiosimProcess.DotnetHost}' '{BiosimProcess.Dll}' \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        try
        {
            var (code, stdout, stderr) = Privileged("start", FreePort(), FreePort());
            // Record every PID the script wrote, also after a failed start (its own trap stops them; Cleanup checks).
            foreach (string name in Daemons)
            {
                string pidFile = Path.Combine(SlurmDir, "run", name + ".pid");
                if (File.Exists(pidFile)) _daemonPids[name] = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
            }
            if (code != 0 && !IsRoot && stderr.Contains("sudo", StringComparison.Ordinal))
                Assert.Fail($"a local Slurm needs root (SlurmUser=root) or passwordless sudo:\n{stderr}");
            Assert.That(code, Is.EqualTo(0), $"slurm-local.sh start failed:\n{stdout}{stderr}{Logs()}");
            Assert.That(_daemonPids.Keys, Is.EquivalentTo(Daemons), "every daemon's PID is recorded");
            TestContext.Progress.WriteLine(stderr.Trim());
        }
        catch
        {
            // NUnit runs a level's OneTimeTearDown only when its OneTimeSetUp succeeded: stop what was started here.
            Cleanup();
            throw;
        }
    }

    [OneTimeTearDown]
    public void StopSlurm()
    {
        var problems = Cleanup();
        Assert.That(problems, Is.Empty);
    }

    /// <summary>
    /// Stops this fixture's Slurm once: slurm-local.sh stop (cancels every job, ends the recorded PIDs and any job process
    /// that escaped tracking), then SIGKILL to any recorded daemon PID still alive, then deletes <see cref="Root"/>.
    /// </summary>
    /// <returns>What went wrong (a failed stop, daemons that had to be killed here), for the teardown to report.</returns>
    private List<string> Cleanup()
    {
        var problems = new List<string>();
        if (_cleanedUp || Root == "") return problems;
        _cleanedUp = true;
        if (File.Exists(Conf))
        {
            var (code, stdout, stderr) = Privileged("stop", 0, 0);
            if (code != 0) problems.Add($"slurm-local.sh stop failed:\n{stdout}{stderr}");
        }
        foreach (var (name, pid) in _daemonPids)
        {
            if (!IsProcess(pid, name)) continue;
            problems.Add($"{name} ({pid}) was still alive after slurm-local.sh stop and is killed now");
            string id = pid.ToString(CultureInfo.InvariantCulture);
            Process.Start(IsRoot ? "kill" : "sudo", IsRoot ? ["-KILL", id] : ["-n", "kill", "-KILL", id])!.WaitForExit();
        }
        if (IsRoot) Directory.Delete(Root, recursive: true);
        else Process.Start("sudo", ["-n", "rm", "-rf", Root])!.WaitForExit();
        return problems;
    }

    [SetUp]
    public void CreateTestDirectory()
    {
        Dir = Path.Combine(Root, TestContext.CurrentContext.Test.Name);
        Directory.CreateDirectory(Dir);
        _jobs.Clear();
    }

    /// <summary>Cancels the test's jobs (also a failed test's) and waits until Slurm lists none, so the next test starts on an idle node.</summary>
    [TearDown]
    public void CancelJobs()
    {
        if (_jobs.Count == 0) return;
        Slurm("scancel", [.. _jobs]);
        var clock = Stopwatch.StartNew();
        while (Slurm("squeue", "-h", "-o", "%i").Output.Trim() != "" && clock.Elapsed < WaitLimit) Thread.Sleep(200);
    }

    /// <summary>Runs slurm-local.sh (as root, else under sudo -n) on this fixture's directory and ports.</summary>
    private (int Code, string Stdout, string Stderr) Privileged(string action, int controllerPort, int nodePort)
    {
        string[] environment =
        [
            $"SLURM_LOCAL_DIR={SlurmDir}",
            $"SLURM_LOCAL_CTLD_PORT={controllerPort}",
            $"SLURM_LOCAL_SLURMD_PORT={nodePort}",
        ];
        return IsRoot
            ? IO.ExternalTools.Run("env", [.. environment, "bash", Script, action])
            : IO.ExternalTools.Run("sudo", ["-n", "env", .. environment, "bash", Script, action]);
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Whether <paramref name="pid"/> is alive (not a zombie) and still runs <paramref name="name"/> (not a recycled PID).</summary>
    private static bool IsProcess(int pid, string name)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            if (stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z')) return false;
            return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0')[0] == name;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// Sends a signal with scancel (<paramref name="arguments"/>, e.g. --signal=USR1 --batch JOB) and asserts that Slurm took it. A
    /// controller busy enough to time out a request (a loaded machine) is asked again until <see cref="WaitLimit"/>; any other
    /// refusal fails at once, with scancel's message and the job's state.
    /// </summary>
    protected void Signal(params string[] arguments)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var (code, output, errors) = Slurm("scancel", arguments);
            if (code == 0) return;
            bool transient = errors.Contains("timed out", StringComparison.OrdinalIgnoreCase)
                || errors.Contains("try again", StringComparison.OrdinalIgnoreCase)
                || errors.Contains("temporarily", StringComparison.OrdinalIgnoreCase);
            if (!transient || clock.Elapsed > WaitLimit)
            {
                string job = arguments[^1];
                Assert.Fail($"scancel {string.Join(' ', arguments)} exited with {code}: {output}{errors}\n" +
                    $"scontrol show job {job}:\n{Slurm("scontrol", "show", "job", job).Output}");
            }
            Thread.Sleep(500);
        }
    }

    /// <summary>Runs a Slurm client (sbatch, scontrol, …) against this fixture's controller, with <see cref="Bin"/> first on PATH.</summary>
    protected (int Code, string Output, string Errors) Slurm(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Dir == "" ? Root : Dir,
        };
        foreach (string a in arguments) start.ArgumentList.Add(a);
        start.Environment["SLURM_CONF"] = Conf;
        start.Environment["PATH"] = $"{Bin}:{Environment.GetEnvironmentVariable("PATH")}";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {program}");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        Assert.That(process.WaitForExit(60_000), Is.True, $"{program} {string.Join(' ', arguments)} returns");
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Submits <paramref name="script"/> with sbatch (from <see cref="Dir"/>) and returns the job id; the test's teardown cancels it.</summary>
    protected string Submit(string script, params string[] options)
    {
        var (code, output, errors) = Slurm("sbatch", ["--parsable", .. options, script]);
        Assert.That(code, Is.EqualTo(0), $"sbatch {string.Join(' ', options)} {script}: {errors}");
        string job = output.Trim().Split(';')[0];
        _jobs.Add(job);
        return job;
    }

    /// <summary>Registers jobs submitted by something other than <see cref="Submit"/> (biosim sweep --slurm) for cancelling after the test.</summary>
    protected void Own(string job) => _jobs.Add(job);

    /// <summary>The fields of <c>scontrol show job -o JOB</c> (JobState, ExitCode, Restarts, …); JOB may be an array task (12_3).</summary>
    protected Dictionary<string, string> Job(string job)
    {
        var (code, output, errors) = Slurm("scontrol", "show", "job", "-o", job);
        Assert.That(code, Is.EqualTo(0), $"scontrol show job {job}: {errors}");
        var fields = new Dictionary<string, string>();
        foreach (string token in output.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = token.IndexOf('=');
            if (eq > 0) fields.TryAdd(token[..eq], token[(eq + 1)..]);
        }
        return fields;
    }

    /// <summary>Waits until <paramref name="job"/> is in a final state (COMPLETED, FAILED, CANCELLED, …) and returns its fields.</summary>
    protected Dictionary<string, string> WaitUntilFinished(string job, string? log = null)
    {
        Dictionary<string, string> fields = [];
        WaitFor(() => FinalStates.Contains((fields = Job(job)).GetValueOrDefault("JobState", "")),
            () => $"job {job} to finish (now {fields.GetValueOrDefault("JobState")})", log);
        return fields;
    }

    /// <summary>
    /// Waits until the latest start of a job in <paramref name="log"/> (lines after its last "biosim-job: start") has printed
    /// <paramref name="lines"/> progress lines ("biosim: t = ", the second is at ≥ 10 % of the duration): the job is running
    /// mid-way, past its first checkpoint.
    /// </summary>
    protected void WaitForProgress(string log, int lines = 2) =>
        WaitFor(() => File.Exists(log) && LatestStart(File.ReadAllText(log)).Split("biosim: t = ").Length > lines,
            () => $"{lines} progress lines in {log}", log);

    /// <summary>What the job's latest start wrote to its log.</summary>
    protected static string LatestStart(string log)
    {
        int at = log.LastIndexOf("biosim-job: start", StringComparison.Ordinal);
        return at < 0 ? "" : log[at..];
    }

    /// <summary>Polls <paramref name="condition"/> every 0.2 s; fails after <see cref="WaitLimit"/> with the job's log and Slurm's.</summary>
    protected void WaitFor(Func<bool> condition, Func<string> what, string? log = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > WaitLimit)
            {
                string jobLog = log is not null && File.Exists(log) ? $"\n--- {log}:\n{File.ReadAllText(log)}" : "";
                Assert.Fail($"waited {WaitLimit.TotalMinutes} min for {what()}{jobLog}\n--- squeue:\n{Slurm("squeue").Output}{Logs()}");
            }
            Thread.Sleep(200);
        }
    }

    /// <summary>The last lines of Slurm's own logs, for failure messages.</summary>
    private string Logs()
    {
        var text = new System.Text.StringBuilder();
        foreach (string name in new[] { "slurmctld.log", "slurmd.log", "slurmctld.out", "slurmd.out", "munged.out" })
        {
            string path = Path.Combine(SlurmDir, "log", name);
            if (!File.Exists(path)) continue;
            try
            {
                text.Append(CultureInfo.InvariantCulture, $"\n--- {path} (end):\n{string.Join('\n', File.ReadAllLines(path).TakeLast(15))}");
            }
            catch (UnauthorizedAccessException)
            {
                text.Append(CultureInfo.InvariantCulture, $"\n--- {path}: not readable");
            }
        }
        return text.ToString();
    }

    /// <summary>
    /// A job script that runs <c>biosim run EXPERIMENT -o out-TASK.h5</c> (TASK: the array task, 0 outside an array) in
    /// <see cref="Dir"/>, or <c>biosim resume</c> when that output exists — so that a requeued job continues from its
    /// checkpoint — with <c>exec</c> so that Slurm's signals reach biosim. Every start writes "biosim-job: start" to the
    /// log first (submit with <c>--output</c>; the script asks for <c>--open-mode=append</c>).
    /// </summary>
    protected string RunJobScript(string experiment)
    {
        string script = Path.Combine(Dir, "job.sh");
        File.WriteAllText(script, $$"""
            #!/bin/bash
            #SBATCH --requeue
            #SBATCH --open-mode=append
            #SBATCH --cpus-per-task=1
            cd '{{Dir}}'
            out=out-${SLURM_ARRAY_TASK_ID:-0}.h5
            echo "biosim-job: start (restart ${SLURM_RESTART_COUNT:-0}) at $(date +%T.%N)" >&2
            if [ -e "$out" ]; then exec biosim resume "$out"; fi
            exec biosim run '{{experiment}}' -o "$out" --checkpoint-every 3600

            """);
        return script;
    }

    /// <summary>The time of the newest complete checkpoint in a run's output (fails if there is none).</summary>
    protected static double LatestCheckpointMs(string output)
    {
        using var file = Hdf5File.OpenReadOnly(output);
        var checkpoint = BioSim.IO.Runs.RunCheckpoints.ReadLatest(file);
        Assert.That(checkpoint, Is.Not.Null, $"{output} holds no complete checkpoint");
        return checkpoint!.Value.TimeMs;
    }

    /// <summary>The root "status" attribute, read by h5py (a file other tools can read, not only biosim).</summary>
    protected static string Status(string output)
    {
        using var attributes = System.Text.Json.JsonDocument.Parse(IO.ExternalTools.RunPythonScript("run_attributes.py", output));
        return attributes.RootElement.GetProperty("status").GetString()!;
    }

    /// <summary>Every spike time and node id, and every state report frame, of <paramref name="actual"/> equal <paramref name="expected"/>'s bit for bit.</summary>
    protected static void AssertSameTraces(string expected, string actual)
    {
        using var a = Hdf5File.OpenReadOnly(expected);
        using var b = Hdf5File.OpenReadOnly(actual);
        var spikesA = SonataFileReader.ReadSpikes(a);
        var spikesB = SonataFileReader.ReadSpikes(b);
        Assert.That(spikesB.Select(s => s.Population), Is.EqualTo(spikesA.Select(s => s.Population)), actual);
        for (int p = 0; p < spikesA.Count; p++)
        {
            Assert.That(spikesA[p].TimestampsMs, Has.Length.GreaterThan(1000), $"{expected}: the reference has spikes");
            Assert.That(spikesB[p].TimestampsMs, Is.EqualTo(spikesA[p].TimestampsMs), $"spike times of {spikesA[p].Population} in {actual}");
            Assert.That(spikesB[p].NodeIds, Is.EqualTo(spikesA[p].NodeIds), $"node ids of {spikesA[p].Population} in {actual}");
        }
        var reportsA = SonataFileReader.ReadReports(a);
        var reportsB = SonataFileReader.ReadReports(b);
        Assert.That(reportsB, Has.Count.EqualTo(reportsA.Count), actual);
        for (int r = 0; r < reportsA.Count; r++)
        {
            Assert.That(reportsB[r].StopMs, Is.EqualTo(reportsA[r].StopMs));
            Assert.That(reportsB[r].Data, Is.EqualTo(reportsA[r].Data), $"report of {reportsA[r].Population} in {actual}");
        }
    }
}
