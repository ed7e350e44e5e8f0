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

    /// <summary>The <see cref="Name"/>.</summary>
    public override string ToString() => Name;
}
