using BioSim.Engine.NeuralOde;

namespace BioSim.Circuits.Neurons.RateCircuit;

/// <summary>
/// A firing-rate circuit τ_i dx_i/dt = −x_i + Σ_j W_ij φ(x_j) + Σ_k U_ik u_k(t) + b_i with φ = tanh, learnable
/// W (n × n), U (n × m), b (n) and τ (n, units of t).
/// </summary>
/// <remarks>
/// <para>Parameters, flat: W row-major, U row-major, b, τ. With r = v ∘ (1/τ) the VJP is
/// ∂x_j = −r_j + φ'(x_j) Σ_i r_i W_ij, ∂W_ij = r_i φ(x_j), ∂U_ik = r_i u_k, ∂b_i = r_i, ∂τ_i = −r_i f_i.</para>
/// <para>Tape: x, φ(x), u(t) and f (3n + m doubles).</para>
/// </remarks>
public sealed class RateCircuitField : IParametricVectorField
{
    private readonly double[] _theta;
    private readonly double[] _scratch;
    private readonly IInputSignal? _input;

    /// <summary>Creates a circuit of <paramref name="neurons"/> units with W = U = b = 0 and τ = 1.</summary>
    public RateCircuitField(int neurons, IInputSignal? input = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(neurons);
        Dimension = neurons;
        _input = input;
        Inputs = input?.Count ?? 0;
        _theta = new double[neurons * neurons + neurons * Inputs + 2 * neurons];
        Tau.Fill(1.0);
        TapeLength = 3 * neurons + Inputs;
        _scratch = new double[TapeLength];
    }

    /// <inheritdoc/>
    public int Dimension { get; }

    /// <summary>Number of input channels m.</summary>
    public int Inputs { get; }

    /// <inheritdoc/>
    public Span<double> Parameters => _theta;

    /// <inheritdoc/>
    public int ParameterCount => _theta.Length;

    /// <inheritdoc/>
    public int TapeLength { get; }

    /// <summary>Recurrent weights W, row-major (dimensionless).</summary>
    public Span<double> W => _theta.AsSpan(0, Dimension * Dimension);

    /// <summary>Input weights U, row-major.</summary>
    public Span<double> U => _theta.AsSpan(Dimension * Dimension, Dimension * Inputs);

    /// <summary>Biases b.</summary>
    public Span<double> Bias => _theta.AsSpan(Dimension * Dimension + Dimension * Inputs, Dimension);

    /// <summary>Time constants τ (units of t, must stay positive).</summary>
    public Span<double> Tau => _theta.AsSpan(Dimension * Dimension + Dimension * Inputs + Dimension, Dimension);

    /// <inheritdoc/>
    public void Evaluate(double t, ReadOnlySpan<double> x, Span<double> dxdt, Span<double> tape)
    {
        FieldChecks.Lengths(this, x, dxdt, tape);
        int n = Dimension, m = Inputs;
        Span<double> record = tape.IsEmpty ? _scratch : tape;
        Span<double> xs = record[..n], phi = record.Slice(n, n), u = record.Slice(2 * n, m), f = record.Slice(2 * n + m, n);
        x.CopyTo(xs);
        for (int j = 0; j < n; j++) phi[j] = Math.Tanh(x[j]);
        _input?.Value(t, u);
        ReadOnlySpan<double> w = W, uw = U, b = Bias, tau = Tau;
        for (int i = 0; i < n; i++)
        {
            double sum = -x[i] + b[i];
            for (int j = 0; j < n; j++) sum += w[i * n + j] * phi[j];
            for (int k = 0; k < m; k++) sum += uw[i * m + k] * u[k];
            f[i] = sum / tau[i];
        }
        f.CopyTo(dxdt);
    }

    /// <inheritdoc/>
    public void VectorJacobianProduct(ReadOnlySpan<double> tape, ReadOnlySpan<double> v, Span<double> stateGradient, Span<double> parameterGradient)
    {
        FieldChecks.VjpLengths(this, tape, v, stateGradient, parameterGradient);
        int n = Dimension, m = Inputs;
        ReadOnlySpan<double> phi = tape.Slice(n, n), u = tape.Slice(2 * n, m), f = tape.Slice(2 * n + m, n);
        ReadOnlySpan<double> w = W, tau = Tau;
        int uOffset = n * n, bOffset = uOffset + n * m, tauOffset = bOffset + n;
        for (int j = 0; j < n; j++) stateGradient[j] = 0;
        for (int i = 0; i < n; i++)
        {
            double r = v[i] / tau[i];
            stateGradient[i] -= r;
            for (int j = 0; j < n; j++)
            {
                parameterGradient[i * n + j] += r * phi[j];
                stateGradient[j] += r * w[i * n + j] * (1 - phi[j] * phi[j]);
            }
            for (int k = 0; k < m; k++) parameterGradient[uOffset + i * m + k] += r * u[k];
            parameterGradient[bOffset + i] += r;
            parameterGradient[tauOffset + i] -= r * f[i];
        }
    }
}
