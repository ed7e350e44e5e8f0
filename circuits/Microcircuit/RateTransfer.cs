namespace BioSim.Circuits.Microcircuit;

/// <summary>
/// The rate function r = φ(u) of the microcircuit's cells, applied to a whole layer at once (one virtual call per layer,
/// not per cell). The two of Sacramento et al. (2018): the soft rectifier ln(1 + eᵘ) and the logistic 1/(1 + e⁻ᵘ).
/// </summary>
public abstract class RateTransfer
{
    private static readonly RateTransfer[] All = [new SoftRelu(), new Logistic()];

    /// <summary>The names <c>phi</c> may take.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(t => t.Name)];

    /// <summary>The function named <paramref name="name"/>, or null.</summary>
    public static RateTransfer? Find(string? name) => Array.Find(All, t => t.Name == name);

    /// <summary>The name parameter files use.</summary>
    public abstract string Name { get; }

    /// <summary>φ(u) of one value.</summary>
    public abstract double Phi(double u);

    /// <summary>φ′(u) of one value.</summary>
    public abstract double Derivative(double u);

    /// <summary>r ← φ(u) element by element; <paramref name="r"/> is at least as long as <paramref name="u"/>.</summary>
    public abstract void Apply(ReadOnlySpan<double> u, Span<double> r);

    private sealed class SoftRelu : RateTransfer
    {
        public override string Name => "soft-relu";

        // max(u, 0) + ln(1 + e^{−|u|}): no overflow for large u, full precision for very negative u.
        public override double Phi(double u) => Math.Max(u, 0) + Math.Log(1 + Math.Exp(-Math.Abs(u)));

        public override double Derivative(double u) => 1.0 / (1.0 + Math.Exp(-u));

        public override void Apply(ReadOnlySpan<double> u, Span<double> r)
        {
            r = r[..u.Length];
            for (int i = 0; i < u.Length; i++) r[i] = Math.Max(u[i], 0) + Math.Log(1 + Math.Exp(-Math.Abs(u[i])));
        }
    }

    private sealed class Logistic : RateTransfer
    {
        public override string Name => "logistic";

        public override double Phi(double u) => 1.0 / (1.0 + Math.Exp(-u));

        public override double Derivative(double u)
        {
            double s = Phi(u);
            return s * (1 - s);
        }

        public override void Apply(ReadOnlySpan<double> u, Span<double> r)
        {
            r = r[..u.Length];
            for (int i = 0; i < u.Length; i++) r[i] = 1.0 / (1.0 + Math.Exp(-u[i]));
        }
    }
}
