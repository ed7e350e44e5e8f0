using BioSim.Plasticity.NeuralOde;
using BioSim.Plasticity.Training;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity;

/// <summary>
/// The training loop continued from the middle of an epoch (FirstEpoch, FirstBatch, FirstBatchLossSum) takes the same
/// minibatches in the same order with the same schedule factors, and reports the same epoch means, as a loop never stopped:
/// the property `biosim fit --resume` rests on. Expected values come from the uninterrupted run of the same loop.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class TrainingLoopResumeTests
{
    /// <summary>Records every minibatch and rate factor; the loss is a function of the batch's contents.</summary>
    private sealed class RecordingProblem(int samples) : ITrainingProblem
    {
        public List<int[]> Batches { get; } = [];
        public List<double> Factors { get; } = [];
        public int Samples => samples;
        public double Step(ReadOnlySpan<int> batch)
        {
            Batches.Add(batch.ToArray());
            double loss = 0;
            foreach (int i in batch) loss += Math.Sin(i);
            return loss;
        }

        public Divergence? Diagnose(double loss, double limit) => null;
        public (double Loss, double Accuracy) Evaluate() => (0, 0);
        public void ScaleRates(double factor) => Factors.Add(factor);
    }

    [TestCase(3, 2)]   // stopped after minibatch 2 of epoch 3
    [TestCase(1, 1)]
    [TestCase(4, 0)]   // at an epoch boundary
    public void AMidEpochContinuationEqualsTheUninterruptedLoop(int stopEpoch, int stopBatch)
    {
        const int samples = 23, batch = 5, epochs = 6;   // 5 minibatches per epoch, the last one of 3 samples
        var schedule = new GeometricRateDecay(0.01);
        var whole = new RecordingProblem(samples);
        var wholeEpochs = new List<EpochResult>();
        TrainingLoop.Run(whole, new TrainingOptions { Epochs = epochs, BatchSize = batch, Seed = 7, Schedule = schedule, Evaluate = false, EpochCompleted = wholeEpochs.Add });

        // First part: cancel (as a signal does) once minibatch stopBatch of stopEpoch is done, remembering the position; the
        // loop stops before its next step.
        using var cancel = new CancellationTokenSource();
        var first = new RecordingProblem(samples);
        var firstEpochs = new List<EpochResult>();
        double sum = 0;
        int doneEpoch = 1, doneBatch = 0;
        Assert.Throws<OperationCanceledException>(() => TrainingLoop.Run(first, new TrainingOptions
        {
            Epochs = epochs, BatchSize = batch, Seed = 7, Schedule = schedule, Evaluate = false, EpochCompleted = firstEpochs.Add,
            BatchCompleted = (e, b, loss) =>
            {
                sum = b == 1 ? loss : sum + loss;
                (doneEpoch, doneBatch) = b == 5 ? (e + 1, 0) : (e, b);
                if (doneEpoch > stopEpoch || (doneEpoch == stopEpoch && doneBatch >= stopBatch)) cancel.Cancel();
            },
            Cancellation = cancel.Token,
        }));
        Assert.That((doneEpoch, doneBatch), Is.EqualTo((stopEpoch, stopBatch)));

        var second = new RecordingProblem(samples);
        var secondEpochs = new List<EpochResult>();
        TrainingLoop.Run(second, new TrainingOptions
        {
            Epochs = epochs, BatchSize = batch, Seed = 7, Schedule = schedule, Evaluate = false, EpochCompleted = secondEpochs.Add,
            FirstEpoch = doneEpoch, FirstBatch = doneBatch, FirstBatchLossSum = doneBatch == 0 ? 0 : sum,
        });

        var batches = first.Batches.Concat(second.Batches).ToList();
        Assert.That(batches, Has.Count.EqualTo(whole.Batches.Count));
        for (int k = 0; k < batches.Count; k++) Assert.That(batches[k], Is.EqualTo(whole.Batches[k]), $"minibatch {k}");
        // The schedule: the continuation applies the factor of its first step, then changes as the whole loop did.
        Assert.That(second.Factors[0], Is.EqualTo(schedule.Factor(doneEpoch, (doneEpoch - 1) * 5 + doneBatch, epochs * 5)));
        Assert.That(second.Factors[^1], Is.EqualTo(whole.Factors[^1]));
        // Epoch means, bit for bit: the interrupted epoch's mean includes its first minibatches' sum carried over, added in
        // the same order as in the whole loop.
        var parts = firstEpochs.Concat(secondEpochs).ToList();
        Assert.That(parts.Select(e => e.Epoch), Is.EqualTo(wholeEpochs.Select(e => e.Epoch)));
        Assert.That(parts.Select(e => e.TrainLoss), Is.EqualTo(wholeEpochs.Select(e => e.TrainLoss)));
    }
}
