using System.Diagnostics.CodeAnalysis;
using System.Numerics;

namespace BioSim.Plasticity.Optimisers;

/// <summary>
/// Adam (Kingma &amp; Ba 2015): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − η m̂/(√v̂ + ε) with
/// m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ). With <see cref="BiasCorrection"/> false, m and v are used as they are
/// (the variant GAIT-prop's published runs use).
/// </summary>
public sealed class Adam : ElementwiseOptimiser
{
    /// <summary>Adam with learning rate η, β₁, β₂, ε and bias correction as given (PyTorch's defaults).</summary>
    /// <param name="learningRate">η &gt; 0.</param>
    /// <param name="beta1">β₁ in [0, 1).</param>
    /// <param name="beta2">β₂ in [0, 1).</param>
    /// <param name="epsilon">ε &gt; 0.</param>
    /// <param name="biasCorrection">Whether m and v are divided by 1 − βᵗ.</param>
    public Adam(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, bool biasCorrection = true)
    {
        LearningRate = learningRate; Beta1 = beta1; Beta2 = beta2; Epsilon = epsilon; BiasCorrection = biasCorrection;
    }

    /// <summary>β₁ in [0, 1) (default 0.9).</summary>
    public double Beta1 { get; [SuppressMessage("Usage", "CA2208", Justification = "Names the constructor argument and settings key 'beta1' that set this property.")] set => field = value >= 0 && value < 1 ? value : throw new ArgumentOutOfRangeException("beta1", value, "beta1 must lie in [0, 1)."); }

    /// <summary>β₂ in [0, 1) (default 0.999).</summary>
    public double Beta2 { get; [SuppressMessage("Usage", "CA2208", Justification = "Names the constructor argument and settings key 'beta2' that set this property.")] set => field = value >= 0 && value < 1 ? value : throw new ArgumentOutOfRangeException("beta2", value, "beta2 must lie in [0, 1)."); }

    /// <summary>ε &gt; 0 (default 1e-8).</summary>
    public double Epsilon { get; set { CheckRate(value, "epsilon"); field = value; } }

    /// <summary>Whether m and v are divided by 1 − βᵗ (default true).</summary>
    public bool BiasCorrection { get; set; }

    /// <inheritdoc/>
    public override string Description => $"Adam (β {Beta1:G4}/{Beta2:G4}{(BiasCorrection ? "" : ", no bias correction")}), lr {LearningRate:G4}";

    /// <inheritdoc/>
    protected override int MomentCount => 2;

    /// <inheritdoc/>
    protected override void Update(int tensor, Span<double> parameters, ReadOnlySpan<double> gradient)
    {
        Span<double> m = Moments[0][tensor], v = Moments[1][tensor];
        double c1 = BiasCorrection ? 1.0 / (1.0 - Math.Pow(Beta1, Steps)) : 1.0;
        double c2 = BiasCorrection ? 1.0 / (1.0 - Math.Pow(Beta2, Steps)) : 1.0;
        double eta = LearningRate * RateScale;
        int i = 0;
        if (Vector.IsHardwareAccelerated && m.Length == parameters.Length && v.Length == parameters.Length && gradient.Length == parameters.Length)
        {
            Vector<double> b1 = new(Beta1), b1c = new(1 - Beta1), b2 = new(Beta2), b2c = new(1 - Beta2);
            Vector<double> vc1 = new(c1), vc2 = new(c2), veta = new(eta), eps = new(Epsilon);
            for (; i <= parameters.Length - Vector<double>.Count; i += Vector<double>.Count)
            {
                var g = new Vector<double>(gradient[i..]);
                var mi = b1 * new Vector<double>(m[i..]) + b1c * g;
                var vi = b2 * new Vector<double>(v[i..]) + b2c * g * g;
                mi.CopyTo(m[i..]);
                vi.CopyTo(v[i..]);
                (new Vector<double>(parameters[i..]) - veta * (mi * vc1) / (Vector.SquareRoot(vi * vc2) + eps)).CopyTo(parameters[i..]);
            }
        }
        for (; i < parameters.Length; i++)
        {
            double g = gradient[i];
            m[i] = Beta1 * m[i] + (1 - Beta1) * g;
            v[i] = Beta2 * v[i] + (1 - Beta2) * g * g;
            parameters[i] -= eta * (m[i] * c1) / (Math.Sqrt(v[i] * c2) + Epsilon);
        }
    }
}
