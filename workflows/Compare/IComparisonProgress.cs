namespace BioSim.Workflows.Compare;

/// <summary>What a comparison reports while it runs (on the calling thread).</summary>
public interface IComparisonProgress
{
    /// <summary>A run (rule × seed) starts; <paramref name="firstEpoch"/> &gt; 1 when it continues from a checkpoint.</summary>
    void RunStarted(RunRecord run, int firstEpoch);

    /// <summary>After every minibatch.</summary>
    void Batch(RunRecord run, int epoch, int batch, double loss);

    /// <summary>After every epoch, with its curves appended to <paramref name="run"/>.</summary>
    void EpochCompleted(RunRecord run);

    /// <summary>The run completed, diverged, or was already complete in its checkpoint.</summary>
    void RunFinished(RunRecord run);
}
