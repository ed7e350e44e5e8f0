using System.Diagnostics.CodeAnalysis;

namespace BioSim.Plasticity.Optimisers;

/// <summary>RMSprop (Tieleman &amp; Hinton 2012; PyTorch form): v ← αv + (1−α)g², θ ← θ − η g/(√v + ε).</summary>
public sealed class RmsProp : ElementwiseOptimiser
{
    /// <summary>RMSprop with learning rate η, α and ε as given (PyTorch's defaults).</summary>
    /// <param name="learningRate">η &gt; 0.</param>
    /// <param name="alpha">α in [0, 1).</param>
    /// <param name="epsilon">ε &gt; 0.</param>
    public RmsProp(double learningRate = 0.01, double alpha = 0.99, double epsilon = 1e-8)
    {
        LearningRate = learningRate; Alpha = alpha; Epsilon = epsilon;
    }

    /// <summary>α in [0, 1) (default 0.99).</summary>
    public double Alpha { get; [SuppressMessage("Usage", "CA2208", Justification = "Names the constructor argument and settings key 'alpha' that set this property.")] set => field = value >= 0 && value < 1 ? value : throw new ArgumentOutOfRangeException("alpha", value, "alpha must lie in [0, 1)."); }

    /// <summary>ε &gt; 0 (default 1e-8).</summary>
    public double Epsilon { get; set { CheckRate(value, "epsilon"); field = value; } }

    /// <inheritdoc/>
    public override string Description => $"RMSprop (α {Alpha:G4}), lr {LearningRate:G4}";

    /// <inheritdoc/>
    protected override int MomentCount => 1;

    /// <inheritdoc/>
    protected override void Update(int tensor, Span<double> parameters, ReadOnlySpan<double> gradient)
    {
        Span<double> v = Moments[0][tensor];
        double eta = LearningRate * RateScale;
        for (int i = 0; i < parameters.Length; i++)
        {
            double g = gradient[i];
            v[i] = Alpha * v[i] + (1 - Alpha) * g * g;
            parameters[i] -= eta * g / (Math.Sqrt(v[i]) + Epsilon);
        }
    }
}
