using System.Numerics.Tensors;

namespace BioSim.Plasticity.Networks;

/// <summary>
/// A unit's non-linearity h = f(z) and its derivative f′(z), applied to whole spans. Registered by name in the
/// catalogue (<see cref="PlasticityServiceCollectionExtensions.AddPlasticity"/>); a name with a parameter,
/// "leaky-relu:0.1", is the registered "leaky-relu" <see cref="WithParameter">with</see> 0.1.
/// </summary>
public abstract class Activation
{
    /// <summary>The name experiment files use ("tanh").</summary>
    public abstract string Name { get; }

    /// <summary>h ← f(z).</summary>
    public abstract void Forward(ReadOnlySpan<double> z, Span<double> h);

    /// <summary>d ← f′(z), given z and h = f(z) (whichever is cheaper to use).</summary>
    public abstract void Derivative(ReadOnlySpan<double> z, ReadOnlySpan<double> h, Span<double> d);

    /// <summary>This activation with its parameter set to <paramref name="value"/> (the α of "leaky-relu:α");
    /// one without a parameter says so.</summary>
    /// <exception cref="ArgumentException">The activation takes no parameter, or not this value.</exception>
    public virtual Activation WithParameter(double value) =>
        throw new ArgumentException($"Activation '{Name}' takes no parameter; use '{Name}' without ':{value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}'.", nameof(value));

    public override string ToString() => Name;
}

/// <summary>f(z) = z.</summary>
public sealed class Identity : Activation
{
    public override string Name => "identity";

    public override void Forward(ReadOnlySpan<double> z, Span<double> h) => z.CopyTo(h);

    public override void Derivative(ReadOnlySpan<double> z, ReadOnlySpan<double> h, Span<double> d) => d[..z.Length].Fill(1.0);
}

/// <summary>f(z) = tanh z, f′ = 1 − h².</summary>
public sealed class Tanh : Activation
{
    public override string Name => "tanh";

    public override void Forward(ReadOnlySpan<double> z, Span<double> h) => TensorPrimitives.Tanh(z, h);

    public override void Derivative(ReadOnlySpan<double> z, ReadOnlySpan<double> h, Span<double> d)
    {
        for (int i = 0; i < z.Length; i++) d[i] = 1.0 - h[i] * h[i];
    }
}

/// <summary>f(z) = log(1 + e^z), evaluated without overflow as max(z, 0) + log1p(e^{−|z|}); f′ = 1/(1 + e^{−z}).</summary>
public sealed class Softplus : Activation
{
    public override string Name => "softplus";

    public override void Forward(ReadOnlySpan<double> z, Span<double> h)
    {
        for (int i = 0; i < z.Length; i++) h[i] = Math.Max(z[i], 0) + double.LogP1(Math.Exp(-Math.Abs(z[i])));
    }

    public override void Derivative(ReadOnlySpan<double> z, ReadOnlySpan<double> h, Span<double> d)
    {
        for (int i = 0; i < z.Length; i++) d[i] = 1 / (1 + Math.Exp(-z[i]));
    }
}

/// <summary>f(z) = 1/(1 + e^{−z}), f′ = h(1 − h).</summary>
public sealed class Logistic : Activation
{
    public override string Name => "logistic";

    public override void Forward(ReadOnlySpan<double> z, Span<double> h) => TensorPrimitives.Sigmoid(z, h);

    public override void Derivative(ReadOnlySpan<double> z, ReadOnlySpan<double> h, Span<double> d)
    {
        for (int i = 0; i < z.Length; i++) d[i] = h[i] * (1.0 - h[i]);
    }
}

/// <summary>f(z) = max(0, z), f′ = [z &gt; 0].</summary>
public sealed class Relu : Activation
{
    public override string Name => "relu";

    public override void Forward(ReadOnlySpan<double> z, Span<double> h) => TensorPrimitives.Max(z, 0.0, h);

    public override void Derivative(ReadOnlySpan<double> z, ReadOnlySpan<double> h, Span<double> d)
    {
        for (int i = 0; i < z.Length; i++) d[i] = z[i] > 0 ? 1.0 : 0.0;
    }
}

/// <summary>
/// f(z) = z for z &gt; 0, αz otherwise (α = <see cref="Slope"/>, default 0.01 as in PyTorch). Named
/// "leaky-relu" with the default slope and "leaky-relu:α" otherwise ("leaky-relu:0.1" is GAIT-prop's).
/// </summary>
public sealed class LeakyRelu(double slope = 0.01) : Activation
{
    public const double DefaultSlope = 0.01;

    public double Slope { get; } = slope;

    public override string Name => Slope == DefaultSlope ? "leaky-relu" : $"leaky-relu:{Slope.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>A leaky ReLU of slope <paramref name="value"/> (positive and finite).</summary>
    public override Activation WithParameter(double value) => value > 0 && double.IsFinite(value) ? new LeakyRelu(value)
        : throw new ArgumentException($"Activation 'leaky-relu:{value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}': the slope after 'leaky-relu:' must be a positive number (as in 'leaky-relu:0.1'), not '{value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}'.", nameof(value));

    public override void Forward(ReadOnlySpan<double> z, Span<double> h)
    {
        for (int i = 0; i < z.Length; i++) h[i] = z[i] > 0 ? z[i] : Slope * z[i];
    }

    public override void Derivative(ReadOnlySpan<double> z, ReadOnlySpan<double> h, Span<double> d)
    {
        for (int i = 0; i < z.Length; i++) d[i] = z[i] > 0 ? 1.0 : Slope;
    }
}

/// <summary>f(z) = clip(z/6 + 1/2, 0, 1) (PyTorch's Hardsigmoid), f′ = 1/6 on (−3, 3), 0 outside.</summary>
public sealed class HardSigmoid : Activation
{
    public override string Name => "hard-sigmoid";

    public override void Forward(ReadOnlySpan<double> z, Span<double> h)
    {
        for (int i = 0; i < z.Length; i++) h[i] = Math.Clamp(z[i] / 6.0 + 0.5, 0.0, 1.0);
    }

    public override void Derivative(ReadOnlySpan<double> z, ReadOnlySpan<double> h, Span<double> d)
    {
        for (int i = 0; i < z.Length; i++) d[i] = z[i] > -3.0 && z[i] < 3.0 ? 1.0 / 6.0 : 0.0;
    }
}

/// <summary>
/// f(z) = min(max(z, 0), 1), f′ = 1 on (0, 1), 0 outside: the rate function that the equilibrium-propagation code of
/// Laborieux et al. (2021) and the CorInfoMax code of Bozkurt et al. (2023) call "hard_sigmoid" ((1 + hardtanh(2z − 1))/2).
/// </summary>
public sealed class UnitClip : Activation
{
    public override string Name => "unit-clip";

    public override void Forward(ReadOnlySpan<double> z, Span<double> h)
    {
        for (int i = 0; i < z.Length; i++) h[i] = Math.Clamp(z[i], 0.0, 1.0);
    }

    public override void Derivative(ReadOnlySpan<double> z, ReadOnlySpan<double> h, Span<double> d)
    {
        for (int i = 0; i < z.Length; i++) d[i] = z[i] > 0.0 && z[i] < 1.0 ? 1.0 : 0.0;
    }
}
