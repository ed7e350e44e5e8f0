namespace BioSim.Engine.Ode;

/// <summary>
/// Locates the root of an event function inside a step from the step's dense output, by the Illinois
/// variant of regula falsi (Dowell and Jarratt, BIT 11, 1971): superlinear, and always bracketed.
/// </summary>
public static class EventLocator
{
    /// <summary>
    /// Finds t in (T0, T1] of <paramref name="dense"/> where g(t, y(t)) changes sign, given
    /// <paramref name="gStart"/> = g at T0 and <paramref name="gEnd"/> = g at T1 of opposite signs
    /// (or <paramref name="gEnd"/> = 0). Returns the end of the final bracket on the post-crossing side,
    /// within <paramref name="timeTolerance"/> of the root of the interpolated g.
    /// </summary>
    /// <param name="dense">Interpolant of the step.</param>
    /// <param name="g">The event function.</param>
    /// <param name="gStart">g(T0, y(T0)), nonzero.</param>
    /// <param name="gEnd">g(T1, y(T1)).</param>
    /// <param name="scratch">Buffer of the system's dimension for interpolated states.</param>
    /// <param name="timeTolerance">Width of the final bracket, e.g. 1e-12.</param>
    public static double Locate(DenseOutput dense, IEventFunction g, double gStart, double gEnd, Span<double> scratch, double timeTolerance)
    {
        ArgumentNullException.ThrowIfNull(dense);
        ArgumentNullException.ThrowIfNull(g);
        if (gStart == 0 || Math.Sign(gStart) == Math.Sign(gEnd))
            throw new ArgumentException($"g must change sign over the step: g(T0) = {gStart:G6}, g(T1) = {gEnd:G6}.", nameof(gEnd));
        if (gEnd == 0) return dense.T1;

        // Work in the step fraction θ so that backward steps need no special case.
        double a = 0, fa = gStart, b = 1, fb = gEnd;
        double thetaTolerance = Math.Max(timeTolerance / Math.Abs(dense.H), 4 * double.Epsilon);
        int side = 0;
        for (int iteration = 0; iteration < 200 && Math.Abs(b - a) > thetaTolerance; iteration++)
        {
            double theta = (a * fb - b * fa) / (fb - fa);
            // Keep the trial strictly inside the bracket (rounding can put it on an end).
            if (!(theta > a && theta < b)) theta = 0.5 * (a + b);
            dense.EvaluateAtFraction(theta, scratch);
            double ft = g.Value(dense.T0 + theta * dense.H, scratch);
            if (ft == 0) return dense.T0 + theta * dense.H;
            if (Math.Sign(ft) == Math.Sign(fb))
            {
                b = theta; fb = ft;
                if (side == 1) fa *= 0.5; // Illinois: halve the stale end to avoid one-sided convergence
                side = 1;
            }
            else
            {
                a = theta; fa = ft;
                if (side == -1) fb *= 0.5;
                side = -1;
            }
        }
        return dense.T0 + b * dense.H;
    }
}
