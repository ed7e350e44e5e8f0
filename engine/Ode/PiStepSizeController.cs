namespace BioSim.Engine.Ode;

/// <summary>
/// Proportional-integral step-size control (Gustafsson 1991; Söderlind, ACM TOMS 2003; Hairer and
/// Wanner II, IV.2): h_new = h · clamp(safety · err_n^(−α) · err_{n−1}^(β)), α = (I + P)/k, β = P/k,
/// k the exponent of the error estimate. Defaults I = 0.3, P = 0.4 (α = 0.7/k, β = 0.4/k) are those
/// recommended by Hairer and Wanner and by diffrax's PIDController docs.
/// After a rejection the step may not grow.
/// </summary>
public sealed class PiStepSizeController : IStepSizeController
{
    private double _previousError = 1;
    private bool _lastRejected;

    /// <summary>Creates the controller.</summary>
    /// <param name="safety">Safety factor (0, 1], default 0.9.</param>
    /// <param name="minFactor">Smallest allowed h_new/h, default 0.2.</param>
    /// <param name="maxFactor">Largest allowed h_new/h, default 10.</param>
    /// <param name="integral">Integral coefficient I (in units of 1/k), default 0.3.</param>
    /// <param name="proportional">Proportional coefficient P (in units of 1/k), default 0.4; 0 gives the classic I controller.</param>
    public PiStepSizeController(double safety = 0.9, double minFactor = 0.2, double maxFactor = 10, double integral = 0.3, double proportional = 0.4)
    {
        if (!(safety > 0 && safety <= 1)) throw new ArgumentOutOfRangeException(nameof(safety), safety, "safety must lie in (0, 1].");
        if (!(minFactor > 0 && minFactor < 1)) throw new ArgumentOutOfRangeException(nameof(minFactor), minFactor, "minFactor must lie in (0, 1).");
        if (!(maxFactor > 1)) throw new ArgumentOutOfRangeException(nameof(maxFactor), maxFactor, "maxFactor must exceed 1.");
        if (!(integral > 0)) throw new ArgumentOutOfRangeException(nameof(integral), integral, "integral must be positive.");
        if (!(proportional >= 0)) throw new ArgumentOutOfRangeException(nameof(proportional), proportional, "proportional must not be negative.");
        Safety = safety;
        MinFactor = minFactor;
        MaxFactor = maxFactor;
        Integral = integral;
        Proportional = proportional;
    }

    /// <summary>Safety factor.</summary>
    public double Safety { get; }

    /// <summary>Smallest allowed h_new/h.</summary>
    public double MinFactor { get; }

    /// <summary>Largest allowed h_new/h.</summary>
    public double MaxFactor { get; }

    /// <summary>Integral coefficient (units of 1/k).</summary>
    public double Integral { get; }

    /// <summary>Proportional coefficient (units of 1/k).</summary>
    public double Proportional { get; }

    /// <inheritdoc/>
    public void Reset()
    {
        _previousError = 1;
        _lastRejected = false;
    }

    /// <inheritdoc/>
    public bool Decide(double errorNorm, double h, int errorExponent, out double hNext)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(errorExponent);
        if (!double.IsFinite(errorNorm))
        {
            hNext = h * MinFactor;
            _lastRejected = true;
            return false;
        }
        double k = errorExponent;
        double alpha = (Integral + Proportional) / k, beta = Proportional / k;
        // Floor the error so that an exact step (err = 0) gives the largest growth rather than infinity.
        double err = Math.Max(errorNorm, 1e-10);
        if (errorNorm <= 1)
        {
            double factor = Safety * Math.Pow(err, -alpha) * Math.Pow(_previousError, beta);
            factor = Math.Clamp(factor, MinFactor, _lastRejected ? 1 : MaxFactor);
            hNext = h * factor;
            _previousError = err;
            _lastRejected = false;
            return true;
        }
        else
        {
            // Rejected: a pure I step (the history belongs to the accepted sequence).
            double factor = Math.Clamp(Safety * Math.Pow(err, -1 / k), MinFactor, Safety);
            hNext = h * factor;
            _lastRejected = true;
            return false;
        }
    }
}
