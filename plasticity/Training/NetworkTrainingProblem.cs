using BioSim.Plasticity.Data;

namespace BioSim.Plasticity.Training;

/// <summary>
/// A layered network with its rule, optimiser and loss (a <see cref="Trainer"/>) on a training set, as the one
/// <see cref="TrainingLoop"/> sees it: a step gathers the minibatch's rows and takes one trainer step; the divergence
/// check names the first layer whose weights (or activations) are not finite; evaluation runs on the held-out set.
/// </summary>
internal sealed class NetworkTrainingProblem(Trainer trainer, Dataset train, Dataset? test, int evaluationBatch) : ITrainingProblem
{
    public int Samples => train.Count;

    public double Step(ReadOnlySpan<int> batch) => trainer.Step(train, batch);

    public Divergence? Diagnose(double loss, double limit) => trainer.Diagnose(loss, limit);

    public (double Loss, double Accuracy) Evaluate() => test is null ? (double.NaN, double.NaN) : trainer.Evaluate(test, evaluationBatch);

    public void ScaleRates(double factor) => trainer.ScaleRates(factor);
}
