using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BioSim.Circuits.Microcircuit;

/// <summary>
/// The rate function r = φ(u) of the microcircuit's cells, applied to a whole layer at once (one virtual call per layer,
/// not per cell). The two of Sacramento et al. (2018): the soft rectifier ln(1 + eᵘ) and the logistic 1/(1 + e⁻ᵘ).
/// <see cref="Apply"/> evaluates the same formulas as <see cref="Phi"/> in Vector512 or Vector256 lanes (their Exp and Log, within
/// an ulp or so of Math.Exp and Math.Log), the remainder scalar; a circuit step takes over a thousand of them.
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
            int i = 0;
            ref double u0 = ref MemoryMarshal.GetReference(u);
            ref double r0 = ref MemoryMarshal.GetReference(r);
            if (Vector512.IsHardwareAccelerated)
            {
                var one = Vector512.Create(1.0);
                for (; i + Vector512<double>.Count <= u.Length; i += Vector512<double>.Count)
                {
                    var x = Vector512.LoadUnsafe(ref u0, (nuint)i);
                    var y = Vector512.Max(x, Vector512<double>.Zero) + Vector512.Log(one + Vector512.Exp(-Vector512.Abs(x)));
                    y.StoreUnsafe(ref r0, (nuint)i);
                }
            }
            if (Vector256.IsHardwareAccelerated)
            {
                var one = Vector256.Create(1.0);
                for (; i + Vector256<double>.Count <= u.Length; i += Vector256<double>.Count)
                {
                    var x = Vector256.LoadUnsafe(ref u0, (nuint)i);
                    var y = Vector256.Max(x, Vector256<double>.Zero) + Vector256.Log(one + Vector256.Exp(-Vector256.Abs(x)));
                    y.StoreUnsafe(ref r0, (nuint)i);
                }
            }
            for (; i < u.Length; i++) r[i] = Math.Max(u[i], 0) + Math.Log(1 + Math.Exp(-Math.Abs(u[i])));
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
            int i = 0;
            ref double u0 = ref MemoryMarshal.GetReference(u);
            ref double r0 = ref MemoryMarshal.GetReference(r);
            if (Vector512.IsHardwareAccelerated)
            {
                var one = Vector512.Create(1.0);
                for (; i + Vector512<double>.Count <= u.Length; i += Vector512<double>.Count)
                {
                    var x = Vector512.LoadUnsafe(ref u0, (nuint)i);
                    (one / (one + Vector512.Exp(-x))).StoreUnsafe(ref r0, (nuint)i);
                }
            }
            if (Vector256.IsHardwareAccelerated)
            {
                var one = Vector256.Create(1.0);
                for (; i + Vector256<double>.Count <= u.Length; i += Vector256<double>.Count)
                {
                    var x = Vector256.LoadUnsafe(ref u0, (nuint)i);
                    (one / (one + Vector256.Exp(-x))).StoreUnsafe(ref r0, (nuint)i);
                }
            }
            for (; i < u.Length; i++) r[i] = 1.0 / (1.0 + Math.Exp(-u[i]));
        }
    }
}
