using BioSim.Circuits.Stimuli;
using BioSim.Engine.Simulation;
using NUnit.Framework;

namespace BioSim.Tests.Circuits.Stimuli;

/// <summary>
/// The Poisson generator against the statistics of a Poisson process (the reference is the process itself: counts are
/// Poisson with mean λT, intervals exponential with mean 1/λ and CV 1), and the determinism of its per-train streams.
/// Tolerances are 5 standard errors of the estimate (a fixed seed makes each test deterministic; 5 SE keeps a correct
/// generator from failing on an unlucky seed with probability ~6e-7 per check).
/// </summary>
[TestFixture, Category("Unit")]
public sealed class PoissonGeneratorTests
{
    private static SpikeLog Run(PoissonGeneratorParameters parameters, int size, double dt, double durationMs, string name = "in",
        ulong seed = 7, int threads = 1)
    {
        var population = new PoissonGeneratorPopulation(name, size, parameters, [], seed);
        using var simulation = new Simulator([population], [], dt, threads, minElementsForThreads: 0);
        var log = new SpikeLog(0);
        simulation.AddObserver(log);
        simulation.Run((long)Math.Round(durationMs / dt));
        return log;
    }

    /// <summary>
    /// 1000 trains at 20 Hz for 10 s. The total count N is Poisson with mean λT·1000 = 200 000, SE √200000 ≈ 447. The
    /// first 120 intervals t_{k+1} − t_k of every train (a fixed number, not those that fit in the window: the gaps
    /// between the spikes inside a fixed window average T/(N + 1), not 1/λ, a 0.5% bias at N ≈ 200 that is 2 SE here;
    /// every train has ≥ 121 spikes unless N falls 5.6 SD below its mean) are i.i.d. exponential with mean 50 ms: their
    /// mean within 5 SE (SE = 50/√n ms), their CV within 5 SE of 1 (by the delta method the sample CV of exponential data has variance 1/n:
    /// with moments 1, 2, 6, 24, the gradient (−2, ½) of σ/μ in (m₁, m₂) and Cov = [[1, 4], [4, 20]] give 4 + 5 − 8 = 1),
    /// and the Kolmogorov-Smirnov distance to the exponential CDF 1 − e^{−x/50} below 1.95/√n (the 0.1% critical value
    /// of the limiting distribution). dt = 1 ms: the intervals do not depend on the step.
    /// </summary>
    [Test]
    public void ConstantRateGivesExponentialIntervalsWithCvOne()
    {
        const int trains = 1000;
        const double rateHz = 20.0, durationMs = 10_000.0, meanIsi = 1000.0 / rateHz;
        const int IntervalsPerTrain = 120;
        var log = Run(new PoissonGeneratorParameters { rate = rateHz }, trains, 1.0, durationMs);
        double expectedCount = trains * rateHz * durationMs / 1000.0;
        var isi = new List<double>();
        foreach (var train in log.Trains(trains))
        {
            Assert.That(train, Has.Count.GreaterThan(IntervalsPerTrain));
            for (int k = 1; k <= IntervalsPerTrain; k++) isi.Add(train[k] - train[k - 1]);
        }
        int n = isi.Count;
        double mean = isi.Average();
        double sd = Math.Sqrt(isi.Sum(x => (x - mean) * (x - mean)) / (n - 1));
        double cv = sd / mean;
        isi.Sort();
        double ks = 0;
        for (int k = 0; k < n; k++)
        {
            double cdf = 1 - Math.Exp(-isi[k] / meanIsi);
            ks = Math.Max(ks, Math.Max(Math.Abs((k + 1.0) / n - cdf), Math.Abs(cdf - (double)k / n)));
        }
        TestContext.Out.WriteLine($"spikes {log.Spikes.Count} (expected {expectedCount}, SE {Math.Sqrt(expectedCount):F0}); " +
            $"ISIs {n}: mean {mean:F4} ms (expected {meanIsi}), CV {cv:F5} (SE {1 / Math.Sqrt(n):F5}), KS D√n = {ks * Math.Sqrt(n):F3}");
        Assert.That(log.Spikes.Count, Is.EqualTo(expectedCount).Within(5 * Math.Sqrt(expectedCount)));
        Assert.That(mean, Is.EqualTo(meanIsi).Within(5 * meanIsi / Math.Sqrt(n)));
        Assert.That(cv, Is.EqualTo(1.0).Within(5 / Math.Sqrt(n)));
        Assert.That(ks * Math.Sqrt(n), Is.LessThan(1.95));
        Assert.That(log.Spikes.Count(s => s.Time == Math.Floor(s.Time)), Is.Zero, "times are continuous, not on the 1 ms grid");
    }

    /// <summary>
    /// A piecewise-constant rate: 5 Hz from 0, 40 Hz from 2 s, 0 Hz from 4 s, 15 Hz from 5 s, for 6 s, 1000 trains. The
    /// count in each window is Poisson with mean 1000·λ·(window length): within 5 SE (√mean) of it, and none at all while
    /// the rate is 0.
    /// </summary>
    [Test]
    public void PiecewiseRatesAreHonouredWindowByWindow()
    {
        var parameters = new PoissonGeneratorParameters { rate = 5.0, rate_times = [2000.0, 4000.0, 5000.0], rates = [40.0, 0.0, 15.0] };
        var log = Run(parameters, 1000, 0.5, 6000.0);
        (double From, double To, double RateHz)[] windows = [(0, 2000, 5), (2000, 4000, 40), (4000, 5000, 0), (5000, 6000, 15)];
        foreach (var (from, to, rate) in windows)
        {
            int count = log.Spikes.Count(s => s.Time >= from && s.Time < to);
            double expected = 1000 * rate * (to - from) / 1000.0;
            TestContext.Out.WriteLine($"[{from}, {to}) ms at {rate} Hz: {count} spikes (expected {expected}, SE {Math.Sqrt(expected):F1})");
            if (rate == 0) Assert.That(count, Is.Zero, $"window [{from}, {to})");
            else Assert.That(count, Is.EqualTo(expected).Within(5 * Math.Sqrt(expected)), $"window [{from}, {to})");
        }
    }

    /// <summary>Train i is keyed by (seed, population name, i) alone: the same bits with 1 and 2 threads, at dt 0.1 and
    /// 0.25 ms (spike times are continuous, so the step only decides when a spike is emitted), and in a population of 10
    /// as in one of 3000; another name or seed gives other trains.</summary>
    [Test]
    public void TrainsDependOnSeedNameAndIndexOnly()
    {
        var p = new PoissonGeneratorParameters { rate = 30.0, rate_times = [100.0], rates = [80.0] };
        var one = Run(p, 3000, 0.1, 200.0).Trains(3000);
        var two = Run(p, 3000, 0.1, 200.0, threads: 2).Trains(3000);
        var coarse = Run(p, 3000, 0.25, 200.0).Trains(3000);
        var small = Run(p, 10, 0.1, 200.0).Trains(10);
        Assert.That(one.Sum(t => t.Count), Is.GreaterThan(3000 * 10));
        Assert.That(two, Is.EqualTo(one));
        Assert.That(coarse, Is.EqualTo(one));
        Assert.That(small, Is.EqualTo(one.Take(10)));
        Assert.That(Run(p, 10, 0.1, 200.0, name: "other").Trains(10), Is.Not.EqualTo(small));
        Assert.That(Run(p, 10, 0.1, 200.0, seed: 8).Trains(10), Is.Not.EqualTo(small));
    }
}
