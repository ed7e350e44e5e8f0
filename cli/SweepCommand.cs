using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using BioSim.Cli.Terminal;
using BioSim.IO.Sweeps;
using BioSim.Workflows.Sweep;
using MathNet.Numerics.Statistics;
using Microsoft.Extensions.DependencyInjection;
using ScottPlot;

namespace BioSim.Cli;

/// <summary>
/// <c>biosim sweep sweep.json -o DIR --local | --slurm</c> and its sub-commands <c>status</c>, <c>resubmit</c>,
/// <c>collect</c> and <c>task</c> (what a worker and a Slurm array task run). The work is <see cref="SweepWorkflow"/>'s;
/// this command parses options, starts workers (<see cref="LocalScheduler"/>) or sbatch, and prints.
/// </summary>
internal static class SweepCommand
{
    public static Command Create(IServiceProvider services)
    {
        // Built on first use: its comparison target loads OpenBLAS, which every other biosim command would pay for at start-up.
        var workflow = new Lazy<SweepWorkflow>(() => ActivatorUtilities.CreateInstance<SweepWorkflow>(services));
        var file = new Argument<FileInfo>("sweep") { Description = "The sweep file (JSON): a base file and a grid and/or list of parameter values; see examples/sweep-*.json." };
        var output = new Option<string>("--output", "-o") { Description = "The sweep folder to write (task-NNNN/ per task).", Required = true };
        var local = new Option<bool>("--local") { Description = "Run the tasks on this machine, --parallel at a time." };
        var slurm = new Option<bool>("--slurm") { Description = "Write DIR/sweep.sbatch (a job array) and submit it with sbatch." };
        var parallel = new Option<int?>("--parallel", "-j") { Description = "Tasks at a time (--local: default cores / threads per task; --slurm: the array's %K, default all)." };
        var threads = new Option<int?>("--threads", "-t") { Description = "Threads per task (default: the sweep file's \"threads\", or 1; in a Slurm job SLURM_CPUS_PER_TASK)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "With --slurm: write the script and print the sbatch command without running it." };
        var force = new Option<bool>("--force") { Description = "Replace the sweep already in the output folder (its tasks' outputs included)." };
        var resume = new Option<bool>("--resume") { Description = "Continue the same sweep in the output folder: finished tasks are kept, stopped ones continue from their checkpoints." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No line per finished task." };
        var every = new Option<double?>("--checkpoint-every") { Description = "Wall-time seconds between a task's checkpoints (default: the sweep file's, else the workflow's own)." };
        var time = new Option<string?>("--time") { Description = "Slurm time limit per task (overrides the sweep file's slurm.time)." };
        var mem = new Option<string?>("--mem") { Description = "Slurm memory per task (slurm.mem)." };
        var partition = new Option<string?>("--partition") { Description = "Slurm partition (slurm.partition)." };
        var account = new Option<string?>("--account") { Description = "Slurm account (slurm.account)." };
        var biosim = new Option<string>("--biosim") { Description = "The command the job script runs.", DefaultValueFactory = _ => "biosim" };
        var command = new Command("sweep", "Run a base experiment, comparison or fit over a grid or list of parameter values, as tasks on this machine or as a Slurm job array.")
        {
            file, output, local, slurm, parallel, threads, dryRun, force, resume, quiet, every, time, mem, partition, account, biosim,
            CreateStatus(workflow), CreateResubmit(workflow), CreateCollect(workflow), CreateTask(workflow), CreateWorker(workflow),
        };
        command.SetAction(result => Program.Guard(() =>
        {
            bool isLocal = result.GetValue(local), isSlurm = result.GetValue(slurm);
            if (isLocal == isSlurm) throw new UsageException("give one of --local (run the tasks here) and --slurm (submit a job array)");
            if (result.GetValue(dryRun) && !isSlurm) throw new UsageException("--dry-run goes with --slurm (it writes the job script and prints the sbatch command)");
            if (result.GetValue(force) && result.GetValue(resume)) throw new UsageException("--force starts over and --resume continues: give one of them");
            CommandSession.AtLeastOne("--parallel", result.GetValue(parallel));
            CommandSession.AtLeastOne("--threads", result.GetValue(threads));
            CommandSession.Seconds("--checkpoint-every", result.GetValue(every));
            var sweepFile = result.GetValue(file)!;
            if (!sweepFile.Exists) return Program.Fail($"{sweepFile}: no such file", ExitCodes.IoError);
            string dir = result.GetValue(output)!;
            // --local: the workers start now, so that their start-up overlaps the expansion and its checks.
            var definition = SweepReader.ReadFile(sweepFile.ToString());
            int threadsPerTask = result.GetValue(threads) ?? definition.Threads;
            long taskCount = Math.Max(1, definition.List.Count) * definition.Grid.Aggregate(1L, (n, a) => n * a.Values.Count);
            int slots = (int)Math.Min(taskCount, Slots(result.GetValue(parallel) ?? definition.Parallel, threadsPerTask));
            using var scheduler = isLocal ? LocalScheduler.Start(slots, () => WorkerStart(dir, threadsPerTask)) : null;
            var plan = workflow.Value.Plan(sweepFile.ToString());
            var d = plan.Definition;
            var settings = new SweepManifest
            {
                Name = "", SweepFile = "", BaseFile = "", Kind = "", TaskFile = "", Tasks = 0, Width = 4, Parameters = [],
                Threads = result.GetValue(threads) ?? d.Threads,
                Parallel = result.GetValue(parallel) ?? d.Parallel,
                CheckpointSeconds = result.GetValue(every) ?? d.CheckpointSeconds,
                Mode = isSlurm ? "slurm" : "local",
                Biosim = result.GetValue(biosim)!,
                Slurm = d.Slurm with
                {
                    Time = result.GetValue(time) ?? d.Slurm.Time,
                    Mem = result.GetValue(mem) ?? d.Slurm.Mem,
                    Partition = result.GetValue(partition) ?? d.Slurm.Partition,
                    Account = result.GetValue(account) ?? d.Slurm.Account,
                },
            };
            if (isSlurm && Path.GetFullPath(dir).Any(char.IsWhiteSpace))
                throw new UsageException($"{Path.GetFullPath(dir)}: #SBATCH lines cannot name a folder with white space; choose another -o folder for a Slurm sweep");
            var manifest = workflow.Value.Write(plan, dir, settings, result.GetValue(force), result.GetValue(resume));
            Console.Error.WriteLine($"biosim: sweep {manifest.Name}: {manifest.Tasks} tasks of {Path.GetFileName(manifest.BaseFile)} ({manifest.Kind}; {string.Join(", ", plan.Parameters)}), {manifest.Threads} thread(s) each → {dir}/");
            return isSlurm
                ? Submit(workflow, manifest, dir, null, result.GetValue(dryRun))
                : RunLocal(workflow, scheduler!, manifest, dir, [.. workflow.Value.Status(dir).Where(s => s.Unfinished).Select(s => s.Index)], threadsPerTask, result.GetValue(quiet));
        }));
        return command;
    }

    private static Command CreateStatus(Lazy<SweepWorkflow> workflow)
    {
        var dir = new Argument<string>("dir") { Description = "The sweep folder." };
        var command = new Command("status", "List every task of a sweep as done, running, stopped (resumable), failed (with its error line) or missing.") { dir };
        command.SetAction(result => Program.Guard(() =>
        {
            string folder = result.GetValue(dir)!;
            var manifest = SweepManifest.Read(folder);
            var status = workflow.Value.Status(folder);
            foreach (var s in status)
            {
                string parameters = File.Exists(Path.Combine(s.Folder, SweepWorkflow.ParametersFileName))
                    ? System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(s.Folder, SweepWorkflow.ParametersFileName)))!["parameters"]!.AsObject()
                        .Select(p => $"{p.Key}={p.Value?.ToJsonString()}").Aggregate((a, b) => $"{a} {b}")
                    : "";
                Console.WriteLine($"{manifest.TaskFolderName(s.Index)}  {s.State.ToString().ToLowerInvariant(),-8} {parameters}{(s.Detail is null ? "" : $"  ({s.Detail})")}");
            }
            Console.WriteLine(Summary(status));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static string Summary(IReadOnlyList<SweepTaskStatus> status) =>
        $"{status.Count} tasks: " + string.Join(", ", Enum.GetValues<SweepTaskState>().Select(state => $"{status.Count(s => s.State == state)} {state.ToString().ToLowerInvariant()}"));

    private static Command CreateResubmit(Lazy<SweepWorkflow> workflow)
    {
        var dir = new Argument<string>("dir") { Description = "The sweep folder." };
        var local = new Option<bool>("--local") { Description = "Run the unfinished tasks here (default for a sweep started with --local)." };
        var slurm = new Option<bool>("--slurm") { Description = "Submit the unfinished tasks as a job array (default for a sweep started with --slurm)." };
        var failed = new Option<bool>("--failed") { Description = "Run the failed tasks again too." };
        var parallel = new Option<int?>("--parallel", "-j") { Description = "Tasks at a time." };
        var threads = new Option<int?>("--threads", "-t") { Description = "Threads per task (default: the sweep's)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Slurm: print the sbatch command without running it." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No line per finished task." };
        var command = new Command("resubmit", "Run or submit only the unfinished tasks of a sweep (missing ones, and stopped ones, which continue from their checkpoints).") { dir, local, slurm, failed, parallel, threads, dryRun, quiet };
        command.SetAction(result => Program.Guard(() =>
        {
            string folder = result.GetValue(dir)!;
            var manifest = SweepManifest.Read(folder);
            if (result.GetValue(local) && result.GetValue(slurm)) throw new UsageException("give at most one of --local and --slurm");
            bool isSlurm = result.GetValue(slurm) || (!result.GetValue(local) && manifest.Mode == "slurm");
            var status = workflow.Value.Status(folder);
            var running = status.Where(s => s.State == SweepTaskState.Running).ToList();
            if (running.Count > 0) Console.Error.WriteLine($"biosim: {running.Count} tasks are running and are left to finish: {string.Join(", ", running.Select(r => r.Index))}");
            int[] todo = [.. status.Where(s => s.Unfinished || (result.GetValue(failed) && s.State == SweepTaskState.Failed)).Select(s => s.Index)];
            if (todo.Length == 0)
            {
                Console.WriteLine($"{folder}: nothing to resubmit; {Summary(status)}");
                return ExitCodes.Ok;
            }
            if (result.GetValue(parallel) is { } k) manifest = manifest with { Parallel = k };
            if (result.GetValue(threads) is { } t) manifest = manifest with { Threads = t };
            if (isSlurm) return Submit(workflow, manifest, folder, todo, result.GetValue(dryRun));
            using var scheduler = LocalScheduler.Start(Math.Min(todo.Length, Slots(manifest.Parallel, manifest.Threads)), () => WorkerStart(folder, manifest.Threads));
            return RunLocal(workflow, scheduler, manifest, folder, todo, manifest.Threads, result.GetValue(quiet));
        }));
        return command;
    }

    /// <summary>Writes DIR/sweep.sbatch and submits it (all tasks, or <paramref name="tasks"/>); --dry-run prints the command instead.</summary>
    private static int Submit(Lazy<SweepWorkflow> workflow, SweepManifest manifest, string dir, int[]? tasks, bool dryRun)
    {
        _ = workflow;
        string script = Path.Combine(dir, SlurmScript.FileName);
        if (tasks is null || !File.Exists(script))
        {
            File.WriteAllText(script, SlurmScript.Text(manifest, dir));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
        var arguments = SlurmScript.SubmitArguments(manifest, dir, tasks);
        string line = "sbatch " + string.Join(' ', arguments);
        if (dryRun)
        {
            Console.WriteLine(line);
            return ExitCodes.Ok;
        }
        try
        {
            var start = new ProcessStartInfo("sbatch", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var process = Process.Start(start)!;
            string stdout = process.StandardOutput.ReadToEnd(), stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) return Program.Fail($"{line} failed (exit code {process.ExitCode}): {stderr.Trim()}", ExitCodes.IoError);
            string job = stdout.Trim().Split(';')[0];
            File.AppendAllText(Path.Combine(dir, "slurm-jobs.txt"), $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} {job} {(tasks is null ? "all" : SlurmScript.Ranges(tasks))}\n");
            Console.WriteLine($"submitted job array {job} ({tasks?.Length ?? manifest.Tasks} tasks): {line}; follow it with biosim sweep status {dir}");
            return ExitCodes.Ok;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return Program.Fail($"cannot run sbatch ({e.Message}); is this a Slurm login node? The script is {script}", ExitCodes.IoError);
        }
    }

    /// <summary>Runs <paramref name="tasks"/> here through worker processes, at most K at a time; SIGTERM or Ctrl-C leaves every
    /// running task checkpointed (exit 75 / 130), and <c>biosim sweep resubmit DIR</c> continues.</summary>
    private static int RunLocal(Lazy<SweepWorkflow> workflow, LocalScheduler scheduler, SweepManifest manifest, string dir, int[] tasks, int threads, bool quiet)
    {
        using var session = CommandSession.Start(null, quiet);
        int done = 0;
        var clock = Stopwatch.StartNew();
        if (!quiet) Console.Error.WriteLine($"biosim: running {tasks.Length} of {manifest.Tasks} tasks, {Math.Min(scheduler.Slots, tasks.Length)} at a time");
        var failures = new List<string>();
        var context = Context(manifest, session, TextWriter.Null) with { Threads = threads };
        int InProcess(int task)
        {
            using var log = new StreamWriter(Path.Combine(dir, manifest.TaskFolderName(task), SweepWorkflow.LogFileName), append: true);
            var run = workflow.Value.RunTask(dir, task, context with { Log = log });
            return run.State == SweepTaskState.Stopped ? ExitCodes.Interrupted : run.ExitCode;
        }
        bool interrupted = scheduler.Run(tasks, InProcess, (task, code, seconds) =>
        {
            lock (failures)
            {
                done++;
                string what = code switch
                {
                    0 => string.Create(CultureInfo.InvariantCulture, $"done in {seconds:0.00} s"),
                    75 or 130 => "interrupted with a checkpoint",
                    -1 => "its worker process ended",
                    _ => $"failed (exit code {code}, see {manifest.TaskFolderName(task)}/log)",
                };
                if (code is not (0 or 75 or 130)) failures.Add(manifest.TaskFolderName(task));
                if (!quiet) Console.Error.WriteLine($"biosim: {manifest.TaskFolderName(task)} {what} ({done}/{tasks.Length})");
            }
        }, session.Cancellation);
        var status = workflow.Value.Status(dir);
        if (interrupted) return session.Interrupted($"running tasks stopped with checkpoints; {Summary(status)}; continue with biosim sweep resubmit {dir}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sweep {manifest.Name}: {Summary(status)} in {clock.Elapsed.TotalSeconds:0.0} s; table: biosim sweep collect {dir}"));
        foreach (var s in status.Where(s => s.State == SweepTaskState.Failed)) Console.Error.WriteLine($"biosim: error: {manifest.TaskFolderName(s.Index)}: {s.Detail}");
        return status.Any(s => s.State == SweepTaskState.Failed) ? ExitCodes.RunFailed : status.All(s => s.State == SweepTaskState.Done) ? ExitCodes.Ok : ExitCodes.RunFailed;
    }

    /// <summary>Tasks at a time: the option or sweep file's, else the cores over the threads per task.</summary>
    private static int Slots(int? parallel, int threads) => parallel ?? Math.Max(1, Environment.ProcessorCount / threads);

    /// <summary>This program again (the apphost, or dotnet with biosim.dll) as <c>biosim sweep worker DIR</c>.</summary>
    private static ProcessStartInfo WorkerStart(string dir, int threads)
    {
        string self = Environment.ProcessPath ?? "biosim";
        var start = new ProcessStartInfo(self) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(SweepCommand).Assembly.Location);
        foreach (string a in new[] { "sweep", "worker", dir, "--threads", threads.ToString(CultureInfo.InvariantCulture) }) start.ArgumentList.Add(a);
        return start;
    }

    private static Command CreateTask(Lazy<SweepWorkflow> workflow)
    {
        var dir = new Argument<string>("dir") { Description = "The sweep folder." };
        var index = new Argument<int>("task") { Description = "The task number (0-based; $SLURM_ARRAY_TASK_ID in a job array)." };
        var threads = new Option<int?>("--threads", "-t") { Description = "Threads (default: SLURM_CPUS_PER_TASK, else the sweep's)." };
        var command = new Command("task", "Run one task of a sweep (what --local's workers and the Slurm job array run): skipped when done, continued from its checkpoint when stopped.") { dir, index, threads };
        command.SetAction(result => Program.Guard(() =>
        {
            string folder = result.GetValue(dir)!;
            var manifest = SweepManifest.Read(folder);
            int n = result.GetValue(index);
            if (n < 0 || n >= manifest.Tasks) throw new UsageException($"task {n} is not in {folder}, which has tasks 0 to {manifest.Tasks - 1}");
            using var session = CommandSession.Start(result.GetValue(threads), quiet: true);
            using var log = new StreamWriter(Path.Combine(folder, manifest.TaskFolderName(n), SweepWorkflow.LogFileName), append: true);
            using var tee = new TeeWriter(log, Console.Error);
            var run = workflow.Value.RunTask(folder, n, Context(manifest, session, tee));
            if (run.Skipped) Console.Error.WriteLine($"biosim: {manifest.TaskFolderName(n)} is {(run.State == SweepTaskState.Done ? "done already" : run.Detail)}; nothing to do");
            if (run.State == SweepTaskState.Stopped) return session.Interrupted($"{manifest.TaskFolderName(n)} holds a checkpoint; it continues when the task runs again");
            if (run.State == SweepTaskState.Failed) return Program.Fail($"{manifest.TaskFolderName(n)}: {run.Detail}", run.ExitCode);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static SweepTaskContext Context(SweepManifest manifest, CommandSession session, TextWriter log) => new()
    {
        Threads = session.Threads ?? manifest.Threads,
        CheckpointEvery = manifest.CheckpointSeconds is { } s ? TimeSpan.FromSeconds(s) : null,
        Log = log,
        Cancellation = session.Cancellation,
        CheckpointNow = session.CheckpointNow,
    };

    /// <summary><c>biosim sweep worker DIR</c> (internal to --local): runs the task numbers read from stdin one after another,
    /// answering "N exit-code seconds" on stdout, until stdin ends or a signal stops it (exit 75 / 130).</summary>
    private static Command CreateWorker(Lazy<SweepWorkflow> workflow)
    {
        var dir = new Argument<string>("dir");
        var threads = new Option<int?>("--threads", "-t");
        var command = new Command("worker", "(internal) run the task numbers read from stdin; used by biosim sweep --local.") { dir, threads };
        command.Hidden = true;
        command.SetAction(result => Program.Guard(() =>
        {
            string folder = result.GetValue(dir)!;
            using var session = CommandSession.Start(result.GetValue(threads), quiet: true);
            // Started before the sweep folder is written (its start-up overlaps the expansion): the manifest is read with the first task.
            SweepManifest? manifest = null;
            string? line;
            while (!session.Cancellation.IsCancellationRequested && (line = Console.In.ReadLine()) is not null)
            {
                int n = int.Parse(line, CultureInfo.InvariantCulture);
                manifest ??= SweepManifest.Read(folder);
                SweepTaskRun run;
                using (var log = new StreamWriter(Path.Combine(folder, manifest.TaskFolderName(n), SweepWorkflow.LogFileName), append: true))
                {
                    run = workflow.Value.RunTask(folder, n, Context(manifest, session, log));
                }
                int code = run.State == SweepTaskState.Stopped ? ExitCodes.Interrupted : run.ExitCode;
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{n} {code} {run.Seconds:R}"));
                Console.Out.Flush();
                if (run.State == SweepTaskState.Stopped) return ExitCodes.Interrupted;
            }
            return session.Cancellation.IsCancellationRequested ? ExitCodes.Interrupted : ExitCodes.Ok;
        }));
        return command;
    }

    private static Command CreateCollect(Lazy<SweepWorkflow> workflow)
    {
        var dir = new Argument<string>("dir") { Description = "The sweep folder." };
        var metric = new Option<string?>("--metric", "-m") { Description = "The result column to plot (default: rate_hz for experiments, else the first result)." };
        var parameter = new Option<string?>("--parameter", "-p") { Description = "The parameter on the x axis (default: the first swept one)." };
        var plot = new Option<bool>("--plot") { Description = "Also draw DIR/sweep.png: the metric against the parameter (one line per value of the other parameters; mean ± SD over repeats)." };
        var command = new Command("collect", "Gather every task's parameters and results into DIR/sweep.csv and DIR/sweep.h5 (and a plot).") { dir, metric, parameter, plot };
        command.SetAction(result => Program.Guard(() =>
        {
            string folder = result.GetValue(dir)!;
            var manifest = SweepManifest.Read(folder);
            var columns = workflow.Value.Collect(folder);
            Console.Write(File.ReadAllText(Path.Combine(folder, "sweep.csv")));
            Console.WriteLine($"wrote {Path.Combine(folder, "sweep.csv")} and {Path.Combine(folder, "sweep.h5")}");
            string? m = result.GetValue(metric), p = result.GetValue(parameter);
            if (!result.GetValue(plot) && (m is not null || p is not null)) throw new UsageException("--metric and --parameter choose what --plot draws; add --plot");
            if (!result.GetValue(plot)) return ExitCodes.Ok;
            var fixedColumns = new HashSet<string>(["task", "state", "seed", "error", .. manifest.Parameters.Select(p => p is "task" or "state" or "error" ? "parameter." + p : p)]);
            var metrics = columns.Where(c => c.Numbers is not null && !fixedColumns.Contains(c.Name)).Select(c => c.Name).ToList();
            m ??= metrics.Contains("rate_hz") ? "rate_hz" : metrics.FirstOrDefault(c => c is not ("seconds" or "build_s" or "simulation_s"));
            p ??= manifest.Parameters.Count > 0 ? manifest.Parameters[0] : null;
            var y = columns.FirstOrDefault(c => c.Name == m && c.Numbers is not null)
                ?? throw new UsageException($"--metric {m}: not a result column of {folder}; columns: {string.Join(", ", metrics)}");
            var x = columns.FirstOrDefault(c => (c.Name == p || c.Name == "parameter." + p) && manifest.Parameters.Contains(p))
                ?? throw new UsageException($"--parameter {p}: not a swept parameter of {folder}; parameters: {string.Join(", ", manifest.Parameters)}");
            if (x.Numbers is null) throw new UsageException($"--parameter {p}: its values are not numbers, so they cannot be an axis");
            string png = Path.Combine(folder, "sweep.png");
            return Plot(png, manifest, columns, x, y);
        }));
        return command;
    }

    /// <summary>The metric against the parameter: one line per combination of the other parameters, with the mean and
    /// standard deviation (MathNet) over the tasks that share a point (repeats with other seeds).</summary>
    private static int Plot(string png, SweepManifest manifest, IReadOnlyList<SweepColumn> columns, SweepColumn x, SweepColumn y)
    {
        int n = x.Numbers!.Length;
        // Lines for the other parameters that vary on their own: not seeds (repeats, averaged), not constants, and not
        // those set together with the x parameter (a list entry's linked weights).
        var others = columns.Where(c => c != x && manifest.Parameters.Any(p => c.Name == p || c.Name == "parameter." + p)
            && !c.Name.EndsWith("seed", StringComparison.Ordinal) && !c.Name.EndsWith("seeds", StringComparison.Ordinal)
            && Enumerable.Range(0, n).Select(c.Cell).Distinct().Count() > 1
            && Enumerable.Range(0, n).GroupBy(i => x.Numbers[i]).Any(g => g.Select(c.Cell).Distinct().Count() > 1)).ToList();
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int series = 0;
        foreach (var group in Enumerable.Range(0, n).Where(i => !double.IsNaN(y.Numbers![i])).GroupBy(i => string.Join(", ", others.Select(o => $"{o.Name} = {o.Cell(i)}"))))
        {
            var points = group.GroupBy(i => x.Numbers[i]).OrderBy(g => g.Key).ToList();
            double[] xs = [.. points.Select(g => g.Key)];
            double[] mean = [.. points.Select(g => g.Select(i => y.Numbers![i]).Mean())];
            double[] sd = [.. points.Select(g => g.Count() > 1 ? g.Select(i => y.Numbers![i]).StandardDeviation() : 0)];
            var line = plot.Add.Scatter(xs, mean, palette.GetColor(series++ % 10));
            if (others.Count > 0) line.LegendText = group.Key;
            if (sd.Any(v => v > 0)) plot.Add.ErrorBar(xs, mean, sd);
        }
        if (series == 0) return Program.Fail($"no finished task has a value of {y.Name}; nothing to plot", ExitCodes.RunFailed);
        plot.Title($"{manifest.Name}: {y.Name} against {x.Name}");
        plot.XLabel(x.Name);
        plot.YLabel(y.Name);
        if (others.Count > 0) plot.ShowLegend();
        try
        {
            plot.SavePng(png, 1000, 600);
        }
        catch (Exception e) when (e is not (IOException or UnauthorizedAccessException))
        {
            return Program.Fail($"plotting {png} failed ({e.GetType().Name}: {e.Message.Split('\n')[0]}); the tables are written", ExitCodes.IoError);
        }
        Console.WriteLine($"wrote {png}");
        return ExitCodes.Ok;
    }

    /// <summary>Writes to two writers (a task's log file and stderr under Slurm).</summary>
    private sealed class TeeWriter(TextWriter first, TextWriter second) : TextWriter
    {
        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            first.Write(value);
            second.Write(value);
        }

        public override void Write(string? value)
        {
            first.Write(value);
            second.Write(value);
        }

        public override void WriteLine(string? value)
        {
            first.WriteLine(value);
            second.WriteLine(value);
        }

        public override void Flush()
        {
            first.Flush();
            second.Flush();
        }
    }
}
