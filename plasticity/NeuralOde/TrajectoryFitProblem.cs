using System.Numerics.Tensors;
using BioSim.Engine.NeuralOde;
using BioSim.Engine.Ode;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Training;

namespace BioSim.Plasticity.NeuralOde;

/// <summary>
/// Fitting a parametric vector field to trajectories, as a problem for the one <see cref="TrainingLoop"/>: the
/// samples are trajectory windows (an initial state, observation times and the loss there); a step is the mean,
/// over the minibatch, of the windows' loss gradients by the chosen <see cref="IGradientMethod"/>, then one step of
/// the optimiser (the one <see cref="Adam"/>) on the flat parameter vector and the model's constraint. A window
/// whose solution fails (non-finite state, the field throws) ends the step without an update and is reported by
/// <see cref="Diagnose"/> with where it happened, so the loop stops with its divergence error and the curve so far.
/// </summary>
public sealed class TrajectoryFitProblem : ITrainingProblem
{
    private readonly IParametricVectorField _field;
    private readonly IGradientMethod _method;
    private readonly IReadOnlyList<TrajectoryProblem> _windows;
    private readonly ElementwiseOptimiser _optimiser;
    private readonly Action<Span<double>>? _constrain;
    private readonly double[] _gradient, _batchGradient;
    private string? _failure;

    /// <summary>Creates the problem; the optimiser is prepared for the field's parameters here.</summary>
    /// <param name="field">The field whose <see cref="IParametricVectorField.Parameters"/> are fitted in place.</param>
    /// <param name="method">How gradients are computed (the symplectic adjoint is exact and lean).</param>
    /// <param name="windows">The training samples.</param>
    /// <param name="optimiser">The optimiser (e.g. <see cref="Adam"/>); a schedule scales its rate.</param>
    /// <param name="constrain">Optional projection after each step (e.g. keep time constants positive).</param>
    public TrajectoryFitProblem(IParametricVectorField field, IGradientMethod method, IReadOnlyList<TrajectoryProblem> windows,
        ElementwiseOptimiser optimiser, Action<Span<double>>? constrain = null)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(windows);
        ArgumentNullException.ThrowIfNull(optimiser);
        if (windows.Count == 0) throw new ArgumentException("No trajectory windows to fit.", nameof(windows));
        _field = field;
        _method = method;
        _windows = windows;
        _optimiser = optimiser;
        _optimiser.Prepare(field.ParameterCount);
        _constrain = constrain;
        _gradient = new double[field.ParameterCount];
        _batchGradient = new double[field.ParameterCount];
    }

    /// <inheritdoc/>
    public int Samples => _windows.Count;

    /// <inheritdoc/>
    public double Step(ReadOnlySpan<int> batch)
    {
        Array.Clear(_batchGradient);
        double loss = 0;
        foreach (int index in batch)
        {
            Array.Clear(_gradient);
            try
            {
                loss += _method.Compute(_field, _windows[index], _gradient, default).Loss;
            }
            catch (OdeIntegrationException e)
            {
                _failure = $"window {index}: {e.Message}";
                return double.NaN;
            }
            TensorPrimitives.Add(_batchGradient, _gradient, _batchGradient);
        }
        TensorPrimitives.Multiply(_batchGradient, 1.0 / batch.Length, _batchGradient);
        _optimiser.Step(_field.Parameters, _batchGradient);
        _constrain?.Invoke(_field.Parameters);
        return loss / batch.Length;
    }

    /// <inheritdoc/>
    public Divergence? Diagnose(double loss, double limit)
    {
        if (_failure is { } failure) return new Divergence("state", $"the solution failed in {failure}");
        if (double.IsFinite(loss) && loss <= limit) return null;
        ReadOnlySpan<double> theta = _field.Parameters;
        for (int i = 0; i < theta.Length; i++)
        {
            if (!double.IsFinite(theta[i])) return new Divergence("parameters", $"the loss became {loss}; parameter {i} is {theta[i]}");
        }
        return new Divergence("loss", $"the loss became {loss} (limit {limit})");
    }

    /// <summary>No held-out evaluation inside the loop: the fit workflow evaluates whole trajectories after training.</summary>
    public (double Loss, double Accuracy) Evaluate() => (double.NaN, double.NaN);

    /// <inheritdoc/>
    public void ScaleRates(double factor) => _optimiser.RateScale = factor;
}
