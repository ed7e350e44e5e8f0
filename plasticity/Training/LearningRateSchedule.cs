namespace BioSim.Plasticity.Training;

/// <summary>
/// A per-epoch learning-rate schedule, piecewise exponential in the epoch: the rates of 0-based epoch e are
/// base · f^e, with f the factor of the segment that e falls in. The exponent is the epoch itself, not the
/// epochs spent in the segment, so a segment does not continue from where the one before it ended; that is the
/// per-epoch decay of the official Supervised-CorInfoMax code (Bozkurt, Pehlevan &amp; Erdogan 2023,
/// CorInfoMax_FashionMNIST_Simulation_V1.py: <c>0.95^e</c> for e &lt; 20, <c>0.9^e</c> for e &lt; 25, <c>0.8^e</c> after),
/// which is <c>[(1, 0.95), (21, 0.9), (26, 0.8)]</c> here (<see cref="CorInfoMaxFashion"/>). The last segment
/// lasts for ever. A <see cref="Trainer"/> applies a factor with <see cref="Trainer.ScaleRates"/>.
/// </summary>
public sealed class LearningRateSchedule : ITrainingSchedule
{
    private readonly RateSegment[] _segments;

    /// <summary>Segments in order; the first must start at epoch 1, the others strictly later than the one before, every factor positive and finite.</summary>
    public LearningRateSchedule(IReadOnlyList<RateSegment> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        if (segments.Count == 0) throw new ArgumentException("A schedule needs at least one segment, starting at epoch 1.", nameof(segments));
        for (int i = 0; i < segments.Count; i++)
        {
            var s = segments[i];
            if (i == 0 && s.FromEpoch != 1)
                throw new ArgumentException($"segment 1 starts at epoch {s.FromEpoch}; the first segment must start at epoch 1.", nameof(segments));
            if (i > 0 && s.FromEpoch <= segments[i - 1].FromEpoch)
                throw new ArgumentException($"segment {i + 1} starts at epoch {s.FromEpoch}, not after segment {i}'s start ({segments[i - 1].FromEpoch}); list segments by increasing epoch.", nameof(segments));
            if (!(s.FactorPerEpoch > 0) || !double.IsFinite(s.FactorPerEpoch))
                throw new ArgumentException($"segment {i + 1}: the factor per epoch must be positive and finite, got {s.FactorPerEpoch}.", nameof(segments));
        }
        _segments = [.. segments];
    }

    /// <summary>The official Supervised-CorInfoMax Fashion-MNIST schedule: 0.95^e (epochs 1-20), 0.9^e (21-25), 0.8^e (26 on).</summary>
    public static LearningRateSchedule CorInfoMaxFashion { get; } = new([new(1, 0.95), new(21, 0.9), new(26, 0.8)]);

    /// <summary>The pieces of the schedule, in order of their first epoch.</summary>
    public IReadOnlyList<RateSegment> Segments => _segments;

    /// <inheritdoc/>
    public double Factor(int epoch, long step, long totalSteps) => Factor(epoch);

    /// <summary>The factor on every rate during 1-based epoch <paramref name="epoch"/>: f^(epoch − 1), f the factor of its segment.</summary>
    public double Factor(int epoch)
    {
        if (epoch < 1) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "Epochs are counted from 1.");
        double f = _segments[0].FactorPerEpoch;
        foreach (var s in _segments)
        {
            if (s.FromEpoch > epoch) break;
            f = s.FactorPerEpoch;
        }
        return Math.Pow(f, epoch - 1);
    }
}
