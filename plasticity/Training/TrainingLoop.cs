using BioSim.Engine.Random;

namespace BioSim.Plasticity.Training;

/// <summary>
/// The one training loop: epochs over a seeded data order, minibatches, a learning-rate schedule, a divergence
/// check after every step, progress and checkpoint hooks, cancellation. Whatever is trained plugs in as an
/// <see cref="ITrainingProblem"/>. The data order of epoch e is a Fisher-Yates permutation drawn from the Philox
/// stream (seed, "trainer", "order") element e, so it depends on (seed, e) alone: a run continued from a
/// checkpoint taken after epoch e (<see cref="TrainingOptions.FirstEpoch"/> = e + 1) sees the data it would have
/// seen, whatever the thread count; one taken after minibatch b of epoch e continues with FirstEpoch = e, FirstBatch = b.
/// The loop allocates its permutation once; a step allocates nothing here.
/// </summary>
public static class TrainingLoop
{
    /// <summary>Trains <paramref name="problem"/> for epochs options.FirstEpoch … options.Epochs (or until
    /// options.MaxSteps steps), evaluating after each epoch when asked.</summary>
    /// <exception cref="TrainingDivergedException">The loss or the state became non-finite or exceeded the limit; it carries the curves so far.</exception>
    /// <exception cref="OperationCanceledException">options.Cancellation was cancelled (checked before every step).</exception>
    public static TrainingHistory Run(ITrainingProblem problem, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int samples = problem.Samples;
        if (samples < 1) throw new ArgumentException("There are no training samples.", nameof(problem));
        var history = new TrainingHistory();
        var order = new int[samples];
        var stream = new RandomStream(options.Seed, "trainer", "order");
        long batchesPerEpoch = (samples + options.BatchSize - 1) / options.BatchSize;
        if (options.FirstBatch >= batchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(options), options.FirstBatch, $"FirstBatch must be below the {batchesPerEpoch} minibatches of an epoch.");
        long step = (options.FirstEpoch - 1) * batchesPerEpoch + options.FirstBatch;
        long totalSteps = Math.Min(options.Epochs * batchesPerEpoch, options.MaxSteps ?? long.MaxValue);
        double applied = double.NaN;
        for (int epoch = options.FirstEpoch; epoch <= options.Epochs && step < totalSteps; epoch++)
        {
            for (int i = 0; i < order.Length; i++) order[i] = i;
            if (options.Shuffle)
            {
                var rng = stream.ForElement((uint)epoch);
                for (int i = order.Length - 1; i > 0; i--)
                {
                    int j = (int)rng.NextUInt32((uint)(i + 1));
                    (order[i], order[j]) = (order[j], order[i]);
                }
            }
            bool resumed = epoch == options.FirstEpoch && options.FirstBatch > 0;
            double sum = resumed ? options.FirstBatchLossSum : 0;
            int batches = resumed ? options.FirstBatch : 0;
            for (int start = batches * options.BatchSize; start < order.Length && step < totalSteps; start += options.BatchSize, step++)
            {
                options.Cancellation.ThrowIfCancellationRequested();
                if (options.Schedule is { } schedule)
                {
                    double factor = schedule.Factor(epoch, step, totalSteps);
                    if (factor != applied)
                    {
                        problem.ScaleRates(factor);
                        applied = factor;
                    }
                }
                int b = Math.Min(options.BatchSize, order.Length - start);
                double loss = problem.Step(order.AsSpan(start, b));
                batches++;
                history.BatchLosses.Add(loss);
                if (problem.Diagnose(loss, options.DivergenceLoss) is { } divergence)
                {
                    throw new TrainingDivergedException(
                        $"Training diverged at epoch {epoch}, batch {batches}: {divergence.Reason}. Lower the learning rate or check the data.",
                        epoch, batches, divergence.Component, history);
                }
                options.BatchCompleted?.Invoke(epoch, batches, loss);
                sum += loss;
            }
            var (testLoss, testAccuracy) = options.Evaluate ? problem.Evaluate() : (double.NaN, double.NaN);
            var result = new EpochResult(epoch, sum / batches, testLoss, testAccuracy);
            history.Epochs.Add(result);
            options.EpochCompleted?.Invoke(result);
        }
        return history;
    }
}
