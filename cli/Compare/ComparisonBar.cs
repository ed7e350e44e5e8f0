using BioSim.IO.Compare;
using BioSim.Workflows.Compare;
using ShellProgressBar;

namespace BioSim.Cli.Compare;

/// <summary>A progress bar over all batches of all runs on a terminal.</summary>
internal sealed class ComparisonBar(ProgressBar bar, ComparisonExperiment experiment, int runs) : IComparisonProgress
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private int _run = -1;
    private long _lastTick = -1000;

    public void RunStarted(RunRecord run, int firstEpoch) => _run++;

    public void Batch(RunRecord run, int epoch, int batch, double loss)
    {
        // Redrawing costs more than a small batch: at most ten redraws a second.
        if (_clock.ElapsedMilliseconds - _lastTick < 100) return;
        _lastTick = _clock.ElapsedMilliseconds;
        double done = _run + ((epoch - 1) * run.BatchesPerEpoch + batch) / (double)(experiment.Epochs * run.BatchesPerEpoch);
        bar.Tick((int)(1000 * done / runs), $"{run.Label} seed {run.Seed}: epoch {epoch}/{experiment.Epochs}, batch {batch}/{run.BatchesPerEpoch}, loss {loss:G4}");
    }

    public void EpochCompleted(RunRecord run) => bar.WriteLine(ComparisonLog.EpochLine(run));

    public void RunFinished(RunRecord run)
    {
        if (run.Diverged) bar.WriteErrorLine($"{run.Label} seed {run.Seed}: {run.Status}");
    }
}
