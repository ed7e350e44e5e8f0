namespace BioSim.Engine.Ode;

/// <summary>Decides whether a trial step is accepted and the size of the next one, from the scaled error norm.</summary>
public interface IStepSizeController
{
    /// <summary>
    /// Given the error norm of a trial step of size <paramref name="h"/> (≤ 1 means within tolerance) and
    /// the order q + 1 of the error estimate's leading term, returns whether to accept the step and the next
    /// step size to try (from the new point if accepted, from the same point if rejected).
    /// </summary>
    bool Decide(double errorNorm, double h, int errorExponent, out double hNext);

    /// <summary>Forgets the error history (at the start of an integration or after a discontinuity).</summary>
    void Reset();
}
