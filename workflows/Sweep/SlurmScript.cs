using System.Globalization;
using System.Text;
using BioSim.IO.Sweeps;

namespace BioSim.Workflows.Sweep;

/// <summary>
/// The job-array script of a sweep (DIR/sweep.sbatch) and the sbatch command that submits it. One array task per sweep
/// task; each runs <c>exec biosim sweep task DIR $SLURM_ARRAY_TASK_ID</c>, so biosim is the job's process and receives its
/// signals (SIGTERM: checkpoint and exit 75; SIGUSR1, sent <c>signal_seconds</c> before the limit: checkpoint and
/// <c>scontrol requeue</c>), takes its threads from SLURM_CPUS_PER_TASK, and continues from the checkpoint when requeued.
/// Its format is stable (a Slurm test fixture reads it):
/// <code>
/// #!/bin/bash
/// #SBATCH --job-name=biosim-NAME
/// #SBATCH --array=0-N%K
/// #SBATCH --requeue
/// #SBATCH --open-mode=append
/// #SBATCH --signal=B:USR1@120
/// #SBATCH --cpus-per-task=T
/// #SBATCH --time=… --mem=… --partition=… --account=…   (one line each, when given)
/// #SBATCH --output=DIR/task-%4a/slurm.log
/// #SBATCH --error=DIR/task-%4a/slurm.log
/// (setup lines)
/// exec BIOSIM sweep task DIR "$SLURM_ARRAY_TASK_ID"
/// </code>
/// </summary>
public static class SlurmScript
{
    /// <summary>The script's file name in the sweep folder.</summary>
    public const string FileName = "sweep.sbatch";

    /// <summary>The per-task Slurm log (stdout and stderr of the array task, appended across requeues).</summary>
    public const string LogName = "slurm.log";

    /// <summary>The script for the sweep folder <paramref name="directory"/> (absolute paths; no white space allowed in them).</summary>
    /// <exception cref="ArgumentException">The folder's path holds white space, which #SBATCH lines cannot carry.</exception>
    public static string Text(SweepManifest manifest, string directory)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        string dir = Path.GetFullPath(directory);
        if (dir.Any(char.IsWhiteSpace)) throw new ArgumentException($"{dir}: #SBATCH lines cannot name a folder with white space; choose another -o folder for a Slurm sweep", nameof(directory));
        var s = manifest.Slurm;
        int throttle = manifest.Parallel ?? manifest.Tasks;
        var b = new StringBuilder();
        b.Append("#!/bin/bash\n");
        b.Append(CultureInfo.InvariantCulture, $"#SBATCH --job-name=biosim-{Safe(manifest.Name)}\n");
        b.Append(CultureInfo.InvariantCulture, $"#SBATCH --array=0-{manifest.Tasks - 1}%{throttle}\n");
        b.Append("#SBATCH --requeue\n");
        b.Append("#SBATCH --open-mode=append\n");
        b.Append(CultureInfo.InvariantCulture, $"#SBATCH --signal=B:USR1@{s.SignalSeconds}\n");
        b.Append(CultureInfo.InvariantCulture, $"#SBATCH --cpus-per-task={manifest.Threads}\n");
        if (s.Time is { } time) b.Append(CultureInfo.InvariantCulture, $"#SBATCH --time={time}\n");
        if (s.Mem is { } mem) b.Append(CultureInfo.InvariantCulture, $"#SBATCH --mem={mem}\n");
        if (s.Partition is { } partition) b.Append(CultureInfo.InvariantCulture, $"#SBATCH --partition={partition}\n");
        if (s.Account is { } account) b.Append(CultureInfo.InvariantCulture, $"#SBATCH --account={account}\n");
        foreach (string option in s.Options) b.Append(CultureInfo.InvariantCulture, $"#SBATCH {option}\n");
        string log = $"{dir}/task-%{manifest.Width}a/{LogName}";
        b.Append(CultureInfo.InvariantCulture, $"#SBATCH --output={log}\n");
        b.Append(CultureInfo.InvariantCulture, $"#SBATCH --error={log}\n");
        b.Append(CultureInfo.InvariantCulture, $"# biosim sweep {manifest.Name}: {manifest.Tasks} tasks of {manifest.BaseFile} ({manifest.Kind}); status: biosim sweep status {dir}\n");
        foreach (string line in s.Setup) b.Append(line).Append('\n');
        b.Append(CultureInfo.InvariantCulture, $"exec {manifest.Biosim} sweep task {Quote(dir)} \"$SLURM_ARRAY_TASK_ID\"\n");
        return b.ToString();
    }

    /// <summary>The sbatch arguments that submit the script: all tasks, or (<paramref name="tasks"/>) only those, as an index
    /// list that overrides the script's --array (with the same throttle).</summary>
    public static IReadOnlyList<string> SubmitArguments(SweepManifest manifest, string directory, IReadOnlyList<int>? tasks = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var arguments = new List<string> { "--parsable" };
        if (tasks is not null)
        {
            int throttle = Math.Min(manifest.Parallel ?? manifest.Tasks, Math.Max(1, tasks.Count));
            arguments.Add($"--array={Ranges(tasks)}%{throttle}");
        }
        arguments.Add(Path.Combine(Path.GetFullPath(directory), FileName));
        return arguments;
    }

    /// <summary>Task numbers as a Slurm index list with ranges: 0-3,7,9-10.</summary>
    public static string Ranges(IReadOnlyList<int> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var parts = new List<string>();
        for (int i = 0; i < tasks.Count;)
        {
            int j = i;
            while (j + 1 < tasks.Count && tasks[j + 1] == tasks[j] + 1) j++;
            parts.Add(j == i ? tasks[i].ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{tasks[i]}-{tasks[j]}"));
            i = j + 1;
        }
        return string.Join(',', parts);
    }

    private static string Safe(string name) => new([.. name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-')]);

    private static string Quote(string path) => path.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '-' or '_' or '.' or '+') ? path : $"'{path.Replace("'", "'\\''", StringComparison.Ordinal)}'";
}
