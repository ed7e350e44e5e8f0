namespace BioSim.Plasticity.Training;

/// <summary>
/// What the one <see cref="TrainingLoop"/> trains: a model, its data and its update rule, seen as "take one
/// update from these training samples". A layered network with a credit-assignment rule, a neural ODE fitted to
/// trajectory windows, the dendritic microcircuit or a spiking core trained as probabilities all plug in here;
/// the loop owns epochs, the data order, minibatches, schedules, divergence checks, progress and checkpoint hooks.
/// </summary>
public interface ITrainingProblem
{
    /// <summary>Training samples one epoch passes over (indices 0 … Samples − 1).</summary>
    int Samples { get; }

    /// <summary>One update from the training samples <paramref name="batch"/>; returns the minibatch loss before the update.</summary>
    double Step(ReadOnlySpan<int> batch);

    /// <summary>Null when the state after a step is sound; otherwise where it is not: the component (a layer, a
    /// parameter block) and a clause for the message ("first non-finite weights in layer 2").</summary>
    /// <param name="loss">The loss of the step just taken.</param>
    /// <param name="limit">A loss above this (or not finite) counts as diverged.</param>
    Divergence? Diagnose(double loss, double limit);

    /// <summary>Loss and accuracy on the held-out data after an epoch; (NaN, NaN) without held-out data, accuracy NaN for regression.</summary>
    (double Loss, double Accuracy) Evaluate();

    /// <summary>Multiplies every learning rate of the problem by <paramref name="factor"/> (a schedule's factor for the coming step).</summary>
    void ScaleRates(double factor);
}
