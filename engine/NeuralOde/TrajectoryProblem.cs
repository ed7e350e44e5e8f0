namespace BioSim.Engine.NeuralOde;

/// <summary>One trajectory to differentiate: start (t0, x0), observation times t_1 &lt; … &lt; t_M (each ≥ t0),
/// the loss on the states there, and the solver.</summary>
/// <param name="InitialTime">t0.</param>
/// <param name="InitialState">x0 (length d).</param>
/// <param name="ObservationTimes">Increasing times at which the loss looks at the state.</param>
/// <param name="Loss">The loss.</param>
/// <param name="Solver">The discrete solver whose output is differentiated.</param>
public sealed record TrajectoryProblem(double InitialTime, double[] InitialState, double[] ObservationTimes, ITrajectoryLoss Loss, SolverSettings Solver)
{
    /// <summary>Throws naming the bad field.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2208", Justification = "Names the property of this problem that is wrong.")]
    public void Validate(IParametricVectorField field)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(InitialState);
        ArgumentNullException.ThrowIfNull(ObservationTimes);
        ArgumentNullException.ThrowIfNull(Loss);
        ArgumentNullException.ThrowIfNull(Solver);
        Solver.Validate();
        if (InitialState.Length != field.Dimension)
            throw new ArgumentException($"InitialState has {InitialState.Length} components, but the vector field has dimension {field.Dimension}.", nameof(InitialState));
        if (ObservationTimes.Length == 0) throw new ArgumentException("ObservationTimes is empty.", nameof(ObservationTimes));
        double previous = InitialTime;
        for (int k = 0; k < ObservationTimes.Length; k++)
        {
            double t = ObservationTimes[k];
            if (!double.IsFinite(t) || t < previous)
                throw new ArgumentException($"ObservationTimes[{k}] = {t} must be finite and not before {previous} (t0 or the previous observation).", nameof(ObservationTimes));
            previous = t;
        }
    }
}
