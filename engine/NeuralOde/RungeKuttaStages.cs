using System.Numerics.Tensors;
using BioSim.Engine.Ode;

namespace BioSim.Engine.NeuralOde;

/// <summary>
/// One explicit Runge-Kutta step of a parametric field with its stage vectors kept (Y_i, k_i), optionally
/// recording the field's tape at every stage, and the two reverse sweeps through a step: reverse-mode
/// differentiation from the tapes, and the symplectic partitioned Runge-Kutta adjoint.
/// </summary>
/// <remarks>
/// The forward arithmetic is that of <see cref="ExplicitRungeKutta.Step"/> (same order of operations), so a
/// replay of recorded adaptive steps reproduces the integrator's states. Stages that influence neither
/// y_{n+1} nor a later stage (the FSAL stage, whose b is 0) are not evaluated.
/// </remarks>
internal sealed class RungeKuttaStages
{
    private readonly double[] _a, _b, _c;
    private readonly double[] _w;          // the step's normalising weights (see SymplecticAdjoint), refilled per step
    private readonly bool[] _used;
    private readonly double[][] _k, _y, _work1, _work2;
    private readonly double[] _tape, _stageGradient, _vector;

    public RungeKuttaStages(ButcherTableau tableau, IParametricVectorField field)
    {
        Tableau = tableau;
        Stages = tableau.Stages;
        Dimension = field.Dimension;
        int s = Stages, d = Dimension;
        _a = [.. tableau.A];
        _b = [.. tableau.B];
        _c = [.. tableau.C];
        _used = new bool[s];
        for (int i = s - 1; i >= 0; i--)
        {
            _used[i] = _b[i] != 0;
            for (int j = i + 1; j < s && !_used[i]; j++) _used[i] = _used[j] && tableau.Aij(j, i) != 0;
        }
        _w = new double[s];
        _k = Allocate(s, d);
        _y = Allocate(s, d);
        _work1 = Allocate(s, d);
        _work2 = Allocate(s, d);
        _tape = new double[field.TapeLength];
        _stageGradient = new double[field.ParameterCount];
        _vector = new double[d];
        TapeLength = field.TapeLength;
        ParameterCount = field.ParameterCount;
    }

    public ButcherTableau Tableau { get; }

    public int Stages { get; }

    public int Dimension { get; }

    public int TapeLength { get; }

    public int ParameterCount { get; }

    public long Evaluations { get; private set; }

    /// <summary>Doubles held by the stage machinery (Y, k, two work sets, one tape, one parameter temporary).</summary>
    public long WorkingFloats => 4L * Stages * Dimension + TapeLength + ParameterCount + Dimension;

    /// <summary>Doubles the forward step keeps while stepping (Y, k).</summary>
    public long StageFloats => 2L * Stages * Dimension;

    /// <summary>y_{n+1} from y_n; when <paramref name="tapes"/> is not empty (s × L) records every used stage's tape.</summary>
    public void Step(IParametricVectorField field, double t, ReadOnlySpan<double> y, double h, Span<double> yOut, Span<double> tapes)
    {
        int s = Stages, tapeLength = TapeLength;
        for (int i = 0; i < s; i++)
        {
            if (!_used[i]) continue;
            Span<double> stage = _y[i];
            y.CopyTo(stage);
            int row = ButcherTableau.RowOffset(i);
            for (int j = 0; j < i; j++)
            {
                double w = _a[row + j];
                if (w != 0) TensorPrimitives.MultiplyAdd(_k[j], h * w, stage, stage);
            }
            field.Evaluate(t + _c[i] * h, stage, _k[i], tapes.IsEmpty ? default : tapes.Slice(i * tapeLength, tapeLength));
            Evaluations++;
        }
        y.CopyTo(yOut);
        for (int j = 0; j < s; j++)
        {
            double w = _b[j];
            if (w != 0) TensorPrimitives.MultiplyAdd(_k[j], h * w, yOut, yOut);
        }
    }

    /// <summary>
    /// Reverse-mode differentiation of one step from its tapes: k̄_i = h b_i λ + h Σ_{j&gt;i} a_ji Ȳ_j,
    /// Ȳ_i = J_iᵀ k̄_i, θ̄ += (∂f/∂θ)_iᵀ k̄_i, λ ← λ + Σ_i Ȳ_i.
    /// </summary>
    public void Backpropagate(IParametricVectorField field, double h, ReadOnlySpan<double> tapes, Span<double> lambda, Span<double> parameterGradient)
    {
        int s = Stages, tapeLength = TapeLength;
        double[][] kBar = _work1, yBar = _work2;
        for (int i = s - 1; i >= 0; i--)
        {
            if (!_used[i]) continue;
            Span<double> kb = kBar[i];
            TensorPrimitives.Multiply(lambda, h * _b[i], kb);
            for (int j = i + 1; j < s; j++)
            {
                double a = Tableau.Aij(j, i);
                if (a != 0 && _used[j]) TensorPrimitives.MultiplyAdd(yBar[j], h * a, kb, kb);
            }
            field.VectorJacobianProduct(tapes.Slice(i * tapeLength, tapeLength), kb, yBar[i], parameterGradient);
        }
        for (int i = 0; i < s; i++)
        {
            if (_used[i]) TensorPrimitives.Add(lambda, yBar[i], lambda);
        }
    }

    /// <summary>
    /// The symplectic adjoint of one step (Matsubara, Miyatake and Yaguchi, NeurIPS 2021): recompute the stages
    /// Y_i from y_n, then integrate λ' = −(∂f/∂x)ᵀλ from t_{n+1} back to t_n with the partitioned partner of the
    /// forward tableau, one stage at a time (each stage's tape is recomputed just before its VJP):
    /// Λ_i = [b_i ≠ 0] λ_{n+1} − h Σ_{j&gt;i} (w_j a_ji / w_i) l_j, l_i = −J(Y_i)ᵀ Λ_i, λ_n = λ_{n+1} − h Σ w_i l_i,
    /// θ̄ += h Σ w_i (∂f/∂θ)(Y_i)ᵀ Λ_i, with w_i = b_i, and w_i = h for a stage with b_i = 0 (the paper's treatment
    /// of zero weights, Sec. 4 and its official code: such a stage's Λ_i = −Σ_j w_j a_ji l_j carries no λ_{n+1}
    /// and no 1/b_i, and it enters λ_n and θ̄ with weight h²). Any nonzero w_i for a zero-weight stage gives the
    /// same λ_n and θ̄ in exact arithmetic (w_i cancels between Λ_i and h w_i); what must not happen is dividing
    /// by b_i or dropping the stage, since a stage with b_i = 0 still feeds later stages (Dormand-Prince's k_2).
    /// The combined scheme conserves λᵀδ, so λ_n is the exact gradient of the discrete step.
    /// </summary>
    public void SymplecticAdjoint(IParametricVectorField field, double t, ReadOnlySpan<double> y, double h, Span<double> lambda, Span<double> parameterGradient)
    {
        int s = Stages;
        Span<double> end = _vector;
        Step(field, t, y, h, end, default); // recomputes Y_i and k_i; y_{n+1} itself is not needed
        double[] w = _w;
        for (int i = 0; i < s; i++) w[i] = _b[i] != 0 ? _b[i] : h;
        double[][] l = _work1;
        Span<double> capital = _work2[0];
        for (int i = s - 1; i >= 0; i--)
        {
            if (!_used[i]) continue;
            if (_b[i] != 0) lambda.CopyTo(capital);
            else capital.Clear();
            for (int j = i + 1; j < s; j++)
            {
                double a = Tableau.Aij(j, i);
                if (a != 0 && _used[j]) TensorPrimitives.MultiplyAdd(l[j], -h * (w[j] * a / w[i]), capital, capital);
            }
            field.Evaluate(t + _c[i] * h, _y[i], end, _tape);
            Evaluations++;
            Array.Clear(_stageGradient);
            field.VectorJacobianProduct(_tape, capital, l[i], _stageGradient);
            TensorPrimitives.Negate(l[i], l[i]);
            TensorPrimitives.MultiplyAdd(_stageGradient, h * w[i], parameterGradient, parameterGradient);
        }
        for (int i = 0; i < s; i++)
        {
            if (_used[i]) TensorPrimitives.MultiplyAdd(l[i], -h * w[i], lambda, lambda);
        }
    }

    private static double[][] Allocate(int rows, int columns)
    {
        var result = new double[rows][];
        for (int i = 0; i < rows; i++) result[i] = new double[columns];
        return result;
    }
}
