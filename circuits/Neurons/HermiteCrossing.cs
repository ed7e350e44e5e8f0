namespace BioSim.Circuits.Neurons;

/// <summary>
/// Locates a threshold crossing inside one integration step from the values and slopes at both ends:
/// the cubic Hermite interpolant p(s), s ∈ [0, 1], with p(0) = v0, p(1) = v1, p′(0) = h·f0,
/// p′(1) = h·f1 (third-order accurate in h), solved for p(s) = threshold by Newton's method kept inside
/// a shrinking bracket (bisection whenever a Newton step would leave it).
/// </summary>
internal static class HermiteCrossing
{
    /// <summary>
    /// Time θ ∈ [0, h] at which the Hermite interpolant reaches <paramref name="threshold"/>, given
    /// v0 &lt; threshold ≤ v1. Falls back to linear interpolation if the slopes are not finite.
    /// </summary>
    public static double Locate(double v0, double f0, double v1, double f1, double h, double threshold)
    {
        if (!(v0 < threshold)) return 0;
        if (!(v1 > threshold)) return h;
        double d0 = h * f0, d1 = h * f1;
        if (!double.IsFinite(d0) || !double.IsFinite(d1)) return h * (threshold - v0) / (v1 - v0);
        double lo = 0, hi = 1;
        double s = (threshold - v0) / (v1 - v0);
        for (int iteration = 0; iteration < 60; iteration++)
        {
            double f = Value(v0, d0, v1, d1, s) - threshold;
            if (f >= 0) hi = s; else lo = s;
            double slope = Slope(v0, d0, v1, d1, s);
            double next = s - f / slope;
            if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
            if (Math.Abs(next - s) < 1e-15 || hi - lo < 1e-15)
            {
                s = next;
                break;
            }
            s = next;
        }
        return h * Math.Clamp(s, 0, 1);
    }

    private static double Value(double v0, double d0, double v1, double d1, double s)
    {
        double s2 = s * s, s3 = s2 * s;
        return (2 * s3 - 3 * s2 + 1) * v0 + (s3 - 2 * s2 + s) * d0 + (-2 * s3 + 3 * s2) * v1 + (s3 - s2) * d1;
    }

    private static double Slope(double v0, double d0, double v1, double d1, double s)
    {
        double s2 = s * s;
        return (6 * s2 - 6 * s) * v0 + (3 * s2 - 4 * s + 1) * d0 + (-6 * s2 + 6 * s) * v1 + (3 * s2 - 2 * s) * d1;
    }

    /// <summary>
    /// A cheap estimate of the crossing, as a fraction u ∈ (0, 1) of the step, for callers that refine it on an exact
    /// solution: the interpolant in power form p(u) = v0 + d0 u + (3Δ − 2d0 − d1) u² + (d0 + d1 − 2Δ) u³, Δ = v1 − v0,
    /// with slopes <paramref name="d0"/>, <paramref name="d1"/> already scaled to the unit interval (h·f), and at most
    /// four Newton steps from the linear interpolant, stopping early where the slope is not positive or a step would
    /// leave (0, 1). Requires v0 &lt; threshold ≤ v1.
    /// </summary>
    public static double Estimate(double v0, double d0, double v1, double d1, double threshold)
    {
        double delta = v1 - v0;
        double c2 = 3 * delta - 2 * d0 - d1, c3 = d0 + d1 - 2 * delta;
        double target = threshold - v0;
        double u = target / delta;
        for (int iteration = 0; iteration < 4; iteration++)
        {
            double p = ((c3 * u + c2) * u + d0) * u - target;
            double dp = (3 * c3 * u + 2 * c2) * u + d0;
            if (!(dp > 0)) break;
            double next = u - p / dp;
            if (!(next > 0 && next < 1)) break;
            u = next;
        }
        return u;
    }
}
