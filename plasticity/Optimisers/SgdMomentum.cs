using System.Diagnostics.CodeAnalysis;
using System.Numerics;

namespace BioSim.Plasticity.Optimisers;

/// <summary>SGD with momentum μ (PyTorch): v ← μ v + g, θ ← θ − η v. μ = 0 is plain gradient descent.</summary>
public sealed class SgdMomentum : ElementwiseOptimiser
{
    /// <summary>SGD with learning rate η and momentum μ.</summary>
    /// <param name="learningRate">η &gt; 0.</param>
    /// <param name="momentum">μ in [0, 1).</param>
    public SgdMomentum(double learningRate = 0.01, double momentum = 0.0)
    {
        LearningRate = learningRate;
        Momentum = momentum;
    }

    /// <summary>μ in [0, 1) (default 0).</summary>
    public double Momentum
    {
        get;
        [SuppressMessage("Usage", "CA2208", Justification = "Names the constructor argument and settings key 'momentum' that set this property.")]
        set => field = value >= 0 && value < 1 ? value : throw new ArgumentOutOfRangeException("momentum", value, "momentum must lie in [0, 1).");
    }

    /// <inheritdoc/>
    public override string Description => Momentum == 0 ? $"SGD, lr {LearningRate:G4}" : $"SGD with momentum {Momentum:G4}, lr {LearningRate:G4}";

    /// <inheritdoc/>
    protected override int MomentCount => 1;

    /// <inheritdoc/>
    protected override void Update(int tensor, Span<double> parameters, ReadOnlySpan<double> gradient)
    {
        Span<double> v = Moments[0][tensor];
        double mu = Momentum, eta = LearningRate * RateScale;
        // Whole vectors first (the same element-wise arithmetic and rounding), then the tail.
        int i = 0;
        if (Vector.IsHardwareAccelerated && v.Length == parameters.Length && gradient.Length == parameters.Length)
        {
            var vmu = new Vector<double>(mu);
            var veta = new Vector<double>(eta);
            for (; i <= parameters.Length - Vector<double>.Count; i += Vector<double>.Count)
            {
                var vi = vmu * new Vector<double>(v[i..]) + new Vector<double>(gradient[i..]);
                vi.CopyTo(v[i..]);
                (new Vector<double>(parameters[i..]) - veta * vi).CopyTo(parameters[i..]);
            }
        }
        for (; i < parameters.Length; i++)
        {
            v[i] = mu * v[i] + gradient[i];
            parameters[i] -= eta * v[i];
        }
    }
}
