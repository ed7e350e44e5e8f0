namespace BioSim.Engine.Ode;

/// <summary>
/// Tolerances and limits of an adaptive integration. The error of a trial step is measured by the mixed
/// root-mean-square norm ‖e‖ = sqrt(mean_i (e_i / (atol + rtol · max(|y_i|, |y_new,i|)))²) and the step is
/// accepted when ‖e‖ ≤ 1 (Hairer, Nørsett and Wanner I, II.4).
/// </summary>
public sealed record AdaptiveOptions
{
    /// <summary>Relative tolerance rtol (dimensionless), default 1e-6, range (0, 1).</summary>
    public double RelativeTolerance { get; init; } = 1e-6;

    /// <summary>Absolute tolerance atol (units of the state), default 1e-9, must be positive.</summary>
    public double AbsoluteTolerance { get; init; } = 1e-9;

    /// <summary>First trial step size (units of t), or null to choose it automatically (Hairer's algorithm).</summary>
    public double? InitialStep { get; init; }

    /// <summary>Largest allowed |h| (units of t), default unbounded.</summary>
    public double MaxStep { get; init; } = double.PositiveInfinity;

    /// <summary>Smallest allowed |h| (units of t), default 1e-12; below it the integration fails.</summary>
    public double MinStep { get; init; } = 1e-12;

    /// <summary>Largest number of trial steps (accepted plus rejected), default 100 million.</summary>
    public long MaxSteps { get; init; } = 100_000_000;

    /// <summary>Width of the time bracket when locating events (units of t), default 1e-12.</summary>
    public double EventTimeTolerance { get; init; } = 1e-12;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        if (!(RelativeTolerance > 0 && RelativeTolerance < 1))
            throw new ArgumentException($"RelativeTolerance must lie in (0, 1), not {RelativeTolerance:G6}.", nameof(RelativeTolerance));
        if (!(AbsoluteTolerance > 0 && double.IsFinite(AbsoluteTolerance)))
            throw new ArgumentException($"AbsoluteTolerance must be positive and finite, not {AbsoluteTolerance:G6}.", nameof(AbsoluteTolerance));
        if (InitialStep is { } h0 && !(h0 > 0 && double.IsFinite(h0)))
            throw new ArgumentException($"InitialStep must be positive and finite (or null), not {h0:G6}.", nameof(InitialStep));
        if (!(MinStep > 0)) throw new ArgumentException($"MinStep must be positive, not {MinStep:G6}.", nameof(MinStep));
        if (!(MaxStep >= MinStep)) throw new ArgumentException($"MaxStep ({MaxStep:G6}) must be at least MinStep ({MinStep:G6}).", nameof(MaxStep));
        if (MaxSteps < 1) throw new ArgumentException($"MaxSteps must be positive, not {MaxSteps}.", nameof(MaxSteps));
        if (!(EventTimeTolerance > 0)) throw new ArgumentException($"EventTimeTolerance must be positive, not {EventTimeTolerance:G6}.", nameof(EventTimeTolerance));
    }
}
