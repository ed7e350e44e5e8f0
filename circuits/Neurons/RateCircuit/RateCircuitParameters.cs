using BioSim.Circuits.Populations;

namespace BioSim.Circuits.Neurons.RateCircuit;

/// <summary>
/// Parameters of a firing-rate circuit (<see cref="RateCircuitPopulation"/>):
/// τ_i dx_i/dt = −x_i + Σ_j W_ij φ(x_j) + Σ_k U_ik u_k(t) + b_i with φ = tanh, and u_k(t) = Σ_r A_kr sin(ω_kr t + φ_kr)
/// (optional sinusoidal drive). The population's size must equal the number of rows of W.
/// </summary>
public sealed record RateCircuitParameters : IModelParameters
{
    /// <summary>τ, one time constant per unit (ms), each &gt; 0. Required.</summary>
    public required double[] tau { get; init; }

    /// <summary>W, recurrent weights (dimensionless), n rows of n. Required.</summary>
    public required double[][] W { get; init; }

    /// <summary>b, biases (dimensionless), n values. Default zeros.</summary>
    public double[]? b { get; init; }

    /// <summary>U, input weights, n rows of m (m = number of input channels). Needed when inputs are given.</summary>
    public double[][]? U { get; init; }

    /// <summary>input_amplitude A, m rows of r sinusoid amplitudes (dimensionless). Optional.</summary>
    public double[][]? input_amplitude { get; init; }

    /// <summary>input_omega ω, m rows of r angular frequencies (rad/ms). Same shape as input_amplitude.</summary>
    public double[][]? input_omega { get; init; }

    /// <summary>input_phase φ, m rows of r phases (rad). Same shape as input_amplitude; default zeros.</summary>
    public double[][]? input_phase { get; init; }

    /// <summary>Number of units n (rows of W).</summary>
    public int Units => W.Length;

    /// <summary>Number of input channels m.</summary>
    public int Inputs => input_amplitude?.Length ?? 0;

    /// <summary>The first invalid field as "field: problem", or null.</summary>
    public string? Validate()
    {
        int n = W.Length;
        if (n == 0) return "W: needs at least one row";
        for (int i = 0; i < n; i++)
        {
            if (W[i] is null || W[i].Length != n) return $"W: row {i} has {W[i]?.Length ?? 0} entries, W must be square ({n} × {n})";
            foreach (double w in W[i]) if (!double.IsFinite(w)) return $"W: row {i} holds {w}; entries must be finite";
        }
        if (tau.Length != n) return $"tau: has {tau.Length} values, W has {n} rows (one τ per unit)";
        foreach (double t in tau) if (!(t > 0 && double.IsFinite(t))) return $"tau: {t} must be a positive number of ms";
        if (b is not null)
        {
            if (b.Length != n) return $"b: has {b.Length} values, expected {n}";
            foreach (double v in b) if (!double.IsFinite(v)) return $"b: {v} must be finite";
        }
        int m = Inputs;
        if (m == 0)
        {
            if (U is not null || input_omega is not null || input_phase is not null) return "input_amplitude: U, input_omega and input_phase need input_amplitude (the sinusoidal drive)";
            return null;
        }
        int r = input_amplitude![0]?.Length ?? 0;
        if (r == 0) return "input_amplitude: each channel needs at least one sinusoid";
        if (Shape(input_amplitude, m, r) is { } a) return $"input_amplitude: {a}";
        if (input_omega is null) return "input_omega: required with input_amplitude";
        if (Shape(input_omega, m, r) is { } o) return $"input_omega: {o}";
        if (input_phase is not null && Shape(input_phase, m, r) is { } p) return $"input_phase: {p}";
        if (U is null) return "U: required with input_amplitude (n rows of m input weights)";
        if (Shape(U, n, m) is { } u) return $"U: {u}";
        return null;
    }

    private static string? Shape(double[][] matrix, int rows, int columns)
    {
        if (matrix.Length != rows) return $"has {matrix.Length} rows, expected {rows}";
        for (int i = 0; i < rows; i++)
        {
            if (matrix[i] is null || matrix[i].Length != columns) return $"row {i} has {matrix[i]?.Length ?? 0} entries, expected {columns}";
            foreach (double v in matrix[i]) if (!double.IsFinite(v)) return $"row {i} holds {v}; entries must be finite";
        }
        return null;
    }
}
