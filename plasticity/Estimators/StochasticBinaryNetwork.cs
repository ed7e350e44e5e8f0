using BioSim.Engine.Random;

namespace BioSim.Plasticity.Estimators;

/// <summary>
/// A layered network with a hidden layer of stochastic binary units, trained through a gradient estimator for discrete
/// units (issue 16, item 4): input x (n values), hidden logits a = W₁x + b₁ (H units), binary units z_h ∼ Bernoulli(σ(a_h)),
/// linear output y = W₂z + b₂ (m values), loss ℓ = ½‖y − t‖² per sample. Each hidden unit is a categorical unit of
/// K = 2 categories with logits (0, a_h) (softmax gives P(z_h = 1) = σ(a_h)) and z_h = D_h,1 of its one-hot sample D_h,
/// so the estimators of this folder apply unchanged:
/// <list type="bullet">
/// <item>pathwise (<see cref="IDiscreteGradientEstimator"/>: <see cref="StraightThrough"/>, <see cref="ReinMax"/>): the
/// upstream gradient at the sample is ∂ℓ/∂D_h = (0, ∂ℓ/∂z_h) with ∂ℓ/∂z = W₂ᵀ(y − t); the estimator turns it into ∂ℓ/∂a_h
/// (the logit-1 entry of its θ-gradient), and backpropagation continues to W₁, b₁;</item>
/// <item>score function (<see cref="SurrogateLoss"/>, Schulman et al. 2015): S ≥ 2 samples per input, each with the
/// leave-one-out baseline of the others (<see cref="LeaveOneOutBaseline"/>), ∂a_h = (ℓ_s − b_s)(z_h − σ(a_h)) averaged.</item>
/// </list>
/// W₂ and b₂ get their pathwise gradient (y − t)zᵀ at the sample(s) with every estimator; all gradients are averaged over a
/// minibatch. <see cref="ExactGradient"/> enumerates the 2^H configurations for E_z[ℓ] and its exact gradient, the reference
/// of the tests. Because ℓ is quadratic in z, ReinMax's expected gradient equals the exact one (Liu et al. 2023) while
/// straight-through's does not. Parameters are one vector: W₁ (H × n, row-major), b₁, W₂ (m × H), b₂.
/// </summary>
public sealed class StochasticBinaryNetwork
{
    private readonly double[] _a, _pi, _logits, _upstream, _theta, _y, _dz, _da;
    private readonly int[] _sample;

    /// <param name="inputs">n.</param>
    /// <param name="hidden">H, the stochastic binary units.</param>
    /// <param name="outputs">m.</param>
    public StochasticBinaryNetwork(int inputs, int hidden, int outputs)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hidden);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputs);
        (Inputs, Hidden, Outputs) = (inputs, hidden, outputs);
        Parameters = new double[hidden * inputs + hidden + outputs * hidden + outputs];
        Gradient = new double[Parameters.Length];
        _a = new double[hidden];
        _pi = new double[hidden];
        _logits = new double[2 * hidden];
        _upstream = new double[2 * hidden];
        _theta = new double[2 * hidden];
        _sample = new int[hidden];
        _y = new double[outputs];
        _dz = new double[hidden];
        _da = new double[hidden];
    }

    /// <summary>n.</summary>
    public int Inputs { get; }

    /// <summary>H.</summary>
    public int Hidden { get; }

    /// <summary>m.</summary>
    public int Outputs { get; }

    /// <summary>W₁, b₁, W₂, b₂ in one vector.</summary>
    public double[] Parameters { get; }

    /// <summary>The gradient of the last <see cref="LossAndGradient"/> or <see cref="ExactGradient"/>, laid out as <see cref="Parameters"/>.</summary>
    public double[] Gradient { get; }

    private int B1 => Hidden * Inputs;
    private int W2 => B1 + Hidden;
    private int B2 => W2 + Outputs * Hidden;

    /// <summary>W₁ and W₂ uniform in ±1/√fan-in (PyTorch's default for linear layers), biases 0, from <paramref name="stream"/>.</summary>
    public void Initialise(RandomStream stream)
    {
        Array.Clear(Parameters);
        double a1 = 1 / Math.Sqrt(Inputs), a2 = 1 / Math.Sqrt(Hidden);
        for (int k = 0; k < B1; k++) Parameters[k] = a1 * (2 * stream.NextDouble() - 1);
        for (int k = W2; k < B2; k++) Parameters[k] = a2 * (2 * stream.NextDouble() - 1);
    }

    /// <summary>a = W₁x + b₁ and σ(a) for one input.</summary>
    private void Hiddens(ReadOnlySpan<double> x)
    {
        for (int h = 0; h < Hidden; h++)
        {
            double a = Parameters[B1 + h];
            var w = Parameters.AsSpan(h * Inputs, Inputs);
            for (int i = 0; i < Inputs; i++) a += w[i] * x[i];
            _a[h] = a;
            _pi[h] = 1 / (1 + Math.Exp(-a));
            _logits[2 * h] = 0;
            _logits[2 * h + 1] = a;
        }
    }

    /// <summary>ℓ(z) = ½‖W₂z + b₂ − t‖², leaving y − t in _y.</summary>
    private double Loss(ReadOnlySpan<int> z, ReadOnlySpan<double> t)
    {
        double loss = 0;
        for (int k = 0; k < Outputs; k++)
        {
            double y = Parameters[B2 + k];
            var w = Parameters.AsSpan(W2 + k * Hidden, Hidden);
            for (int h = 0; h < Hidden; h++) y += w[h] * z[h];
            _y[k] = y - t[k];
            loss += 0.5 * _y[k] * _y[k];
        }
        return loss;
    }

    /// <summary>Adds scale·(the pathwise gradient of ℓ(z) for W₂, b₂) and writes ∂ℓ/∂z = W₂ᵀ(y − t) to _dz (after <see cref="Loss"/>).</summary>
    private void AddOutputGradient(ReadOnlySpan<int> z, double scale, Span<double> gradient)
    {
        Array.Clear(_dz);
        for (int k = 0; k < Outputs; k++)
        {
            double e = _y[k];
            gradient[B2 + k] += scale * e;
            for (int h = 0; h < Hidden; h++)
            {
                gradient[W2 + k * Hidden + h] += scale * e * z[h];
                _dz[h] += Parameters[W2 + k * Hidden + h] * e;
            }
        }
    }

    /// <summary>Adds scale·∂a ⊗ (x, 1) to the W₁, b₁ part of <paramref name="gradient"/>.</summary>
    private void AddHiddenGradient(ReadOnlySpan<double> x, ReadOnlySpan<double> da, double scale, Span<double> gradient)
    {
        for (int h = 0; h < Hidden; h++)
        {
            double d = scale * da[h];
            if (d == 0) continue;
            gradient[B1 + h] += d;
            var w = gradient.Slice(h * Inputs, Inputs);
            for (int i = 0; i < Inputs; i++) w[i] += d * x[i];
        }
    }

    /// <summary>
    /// The loss of one input at a given sample <paramref name="z"/> of the hidden units and the pathwise estimator's
    /// gradient there, added with factor <paramref name="scale"/> to <paramref name="gradient"/>: the quantity whose
    /// expectation over z (<see cref="ExactGradient"/> weights each z by its probability) the tests compare with the exact
    /// gradient.
    /// </summary>
    public double AddPathwiseGradient(ReadOnlySpan<double> x, ReadOnlySpan<double> target, ReadOnlySpan<int> z, IDiscreteGradientEstimator estimator,
        double scale, Span<double> gradient)
    {
        ArgumentNullException.ThrowIfNull(estimator);
        Check(x, target, gradient);
        if (z.Length != Hidden) throw new ArgumentException($"give {Hidden} hidden values", nameof(z));
        Hiddens(x);
        double loss = Loss(z, target);
        AddOutputGradient(z, scale, gradient);
        for (int h = 0; h < Hidden; h++)
        {
            _upstream[2 * h] = 0;
            _upstream[2 * h + 1] = _dz[h];
        }
        estimator.Backward(_logits, 2, z, _upstream, _theta);
        // θ_h = (0, a_h): only the second logit is a parameter
        for (int h = 0; h < Hidden; h++) _da[h] = _theta[2 * h + 1];
        AddHiddenGradient(x, _da, scale, gradient);
        return loss;
    }

    /// <summary>
    /// The mean loss of a minibatch (<paramref name="x"/>: batch × n, <paramref name="targets"/>: batch × m) at samples of the
    /// hidden units drawn from <paramref name="stream"/>, and the estimator's gradient in <see cref="Gradient"/>: with
    /// <paramref name="estimator"/> a pathwise estimator and one sample per input; with null the score-function estimator with
    /// <paramref name="samples"/> ≥ 2 samples per input and leave-one-out baselines (the loss is then the mean over samples).
    /// </summary>
    public double LossAndGradient(ReadOnlySpan<double> x, ReadOnlySpan<double> targets, IDiscreteGradientEstimator? estimator, ref RandomStream stream,
        int samples = 2)
    {
        if (x.Length == 0 || x.Length % Inputs != 0) throw new ArgumentException($"give batch × {Inputs} inputs, got {x.Length}", nameof(x));
        int batch = x.Length / Inputs;
        if (targets.Length != batch * Outputs) throw new ArgumentException($"{batch} inputs need {batch * Outputs} targets, got {targets.Length}", nameof(targets));
        if (estimator is null && samples < 2) throw new ArgumentOutOfRangeException(nameof(samples), samples, "the score-function estimator's leave-one-out baseline needs at least 2 samples per input");
        Array.Clear(Gradient);
        double total = 0;
        int draws = estimator is null ? samples : 0;
        var z = new int[draws * Hidden];
        var costs = new double[draws];
        var baselines = new double[draws];
        for (int b = 0; b < batch; b++)
        {
            var xb = x.Slice(b * Inputs, Inputs);
            var tb = targets.Slice(b * Outputs, Outputs);
            if (estimator is not null)
            {
                Hiddens(xb);
                Categorical.SampleLayer(_logits, 2, _sample, ref stream);
                total += AddPathwiseGradient(xb, tb, _sample, estimator, 1.0 / batch, Gradient);
                continue;
            }
            Hiddens(xb);
            for (int s = 0; s < samples; s++)
            {
                Categorical.SampleLayer(_logits, 2, z.AsSpan(s * Hidden, Hidden), ref stream);
                costs[s] = Loss(z.AsSpan(s * Hidden, Hidden), tb);
                AddOutputGradient(z.AsSpan(s * Hidden, Hidden), 1.0 / (batch * samples), Gradient);
                total += costs[s] / samples;
            }
            LeaveOneOutBaseline.Compute(costs, baselines);
            for (int s = 0; s < samples; s++)
            {
                // the surrogate log p(D)·sg(ℓ − b) of this sample, differentiated: (ℓ − b)(e_D − π) per unit, logit 1 entry
                var loss = new SurrogateLoss();
                int node = loss.AddStochastic(_logits, 2, z.AsSpan(s * Hidden, Hidden));
                loss.AddCost(costs[s], node);
                loss.Gradient(node, baselines[s], _theta);
                for (int h = 0; h < Hidden; h++) _da[h] = _theta[2 * h + 1];
                AddHiddenGradient(xb, _da, 1.0 / (batch * samples), Gradient);
            }
        }
        return total / batch;
    }

    /// <summary>E_z[ℓ] of one input and its exact gradient (written to <paramref name="gradient"/>), enumerating the 2^H
    /// configurations of the hidden units (H ≤ 22): the W₁, b₁ part through <see cref="ExactExpectation"/> (the score identity
    /// summed exactly), the W₂, b₂ part as Σ_z p(z)·(y − t)zᵀ.</summary>
    public double ExactGradient(ReadOnlySpan<double> x, ReadOnlySpan<double> target, Span<double> gradient)
    {
        Check(x, target, gradient);
        gradient.Clear();
        Hiddens(x);
        double[] t = target.ToArray();
        double[] dTheta = new double[2 * Hidden];
        var output = new double[Outputs * Hidden + Outputs];
        double expectation = ExactExpectation.Gradient(_logits, 2, d =>
        {
            double loss = Loss(d, t);
            double p = 1;
            for (int h = 0; h < Hidden; h++) p *= d[h] == 1 ? _pi[h] : 1 - _pi[h];
            for (int k = 0; k < Outputs; k++)
            {
                output[Outputs * Hidden + k] += p * _y[k];
                for (int h = 0; h < Hidden; h++) output[k * Hidden + h] += p * _y[k] * d[h];
            }
            return loss;
        }, dTheta);
        for (int h = 0; h < Hidden; h++) _da[h] = dTheta[2 * h + 1];
        AddHiddenGradient(x, _da, 1.0, gradient);
        output.CopyTo(gradient[W2..]);
        return expectation;
    }

    /// <summary>The mean of E_z[ℓ] over the inputs of a set (batch × n, batch × m), exactly (2^H configurations per input).</summary>
    public double ExpectedLoss(ReadOnlySpan<double> x, ReadOnlySpan<double> targets)
    {
        int batch = x.Length / Inputs;
        var scratch = new double[Parameters.Length];
        double sum = 0;
        for (int b = 0; b < batch; b++) sum += ExactGradient(x.Slice(b * Inputs, Inputs), targets.Slice(b * Outputs, Outputs), scratch);
        return sum / batch;
    }

    private void Check(ReadOnlySpan<double> x, ReadOnlySpan<double> target, Span<double> gradient)
    {
        if (x.Length != Inputs) throw new ArgumentException($"give {Inputs} inputs, got {x.Length}", nameof(x));
        if (target.Length != Outputs) throw new ArgumentException($"give {Outputs} targets, got {target.Length}", nameof(target));
        if (gradient.Length != Parameters.Length) throw new ArgumentException($"give {Parameters.Length} gradient entries, got {gradient.Length}", nameof(gradient));
    }
}
