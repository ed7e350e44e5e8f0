using BioSim.Circuits.Connectivity;
using BioSim.Engine.Random;
using NUnit.Framework;

namespace BioSim.Tests.Circuits;

[TestFixture, Category("Unit")]
public sealed class ConnectivityTests
{
    private static RandomStream Stream => new(99, "proj", "connectivity");

    /// <summary>
    /// Bernoulli connectivity: the synapse count is Binomial(N_s N_t, p); with 2000 × 3000 pairs and
    /// p = 0.02 the mean is 120 000 and the sd 343, so the count must lie within 5 sd. The in-degree of each
    /// target is Binomial(2000, 0.02) (mean 40, variance 39.2): its sample variance must be within 10%.
    /// </summary>
    [Test]
    public void FixedProbabilityHasBinomialCounts()
    {
        var pattern = new FixedProbability().Build(new FixedProbabilityParameters(0.02), 2000, 3000, false, Stream);
        Assert.That(pattern.SynapseCount, Is.EqualTo(120_000).Within(5 * 343));
        var indegree = new int[3000];
        foreach (int t in pattern.Targets) indegree[t]++;
        double mean = indegree.Average();
        double variance = indegree.Select(k => (k - mean) * (k - mean)).Sum() / (indegree.Length - 1);
        Assert.That(variance, Is.EqualTo(2000 * 0.02 * 0.98).Within(0.1 * 39.2));
        for (int i = 0; i < pattern.SourceCount; i++)
        {
            for (int k = pattern.RowStart[i] + 1; k < pattern.RowStart[i + 1]; k++) Assert.That(pattern.Targets[k], Is.GreaterThan(pattern.Targets[k - 1]));
        }
    }

    [Test]
    public void FixedProbabilityWithoutAutapsesHasNoSelfConnection()
    {
        var pattern = new FixedProbability().Build(new FixedProbabilityParameters(0.5, allow_autapses: false), 200, 200, true, Stream);
        for (int i = 0; i < 200; i++)
        {
            for (int k = pattern.RowStart[i]; k < pattern.RowStart[i + 1]; k++) Assert.That(pattern.Targets[k], Is.Not.EqualTo(i));
        }
        Assert.That(new FixedProbability().Build(new FixedProbabilityParameters(1.0), 7, 9, false, Stream).SynapseCount, Is.EqualTo(63));
        Assert.That(new FixedProbability().Build(new FixedProbabilityParameters(0.0), 7, 9, false, Stream).SynapseCount, Is.EqualTo(0));
    }

    [Test]
    public void FixedIndegreeGivesEveryTargetExactlyK()
    {
        var pattern = new FixedIndegree().Build(new FixedIndegreeParameters(25, allow_autapses: false, allow_multapses: false), 100, 80, true, Stream);
        var sources = Enumerable.Range(0, 80).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < 100; i++)
        {
            for (int k = pattern.RowStart[i]; k < pattern.RowStart[i + 1]; k++) sources[pattern.Targets[k]].Add(i);
        }
        for (int j = 0; j < 80; j++)
        {
            Assert.That(sources[j], Has.Count.EqualTo(25));
            Assert.That(sources[j], Is.Unique);
            Assert.That(sources[j], Does.Not.Contain(j));
        }
    }

    [Test]
    public void OneToOneAndAllToAll()
    {
        var one = new OneToOne().Build(new OneToOneParameters(), 5, 5, false, Stream);
        Assert.That(one.Targets, Is.EqualTo(new[] { 0, 1, 2, 3, 4 }));
        Assert.That(new OneToOne().Validate(new OneToOneParameters(), 5, 6), Does.Contain("equal size"));
        var all = new AllToAll().Build(new AllToAllParameters(), 4, 4, true, Stream);
        Assert.That(all.SynapseCount, Is.EqualTo(12), "no autapses by default within a population");
    }

    [Test]
    public void SameSeedSamePattern()
    {
        var a = new FixedProbability().Build(new FixedProbabilityParameters(0.1), 300, 300, true, Stream);
        var b = new FixedProbability().Build(new FixedProbabilityParameters(0.1), 300, 300, true, Stream);
        Assert.That(a.Targets, Is.EqualTo(b.Targets));
        Assert.That(a.RowStart, Is.EqualTo(b.RowStart));
    }

    [Test]
    public void InvalidParametersAreNamed()
    {
        Assert.That(new FixedProbability().Validate(new FixedProbabilityParameters(1.5), 3, 3), Does.StartWith("p:"));
        Assert.That(new FixedIndegree().Validate(new FixedIndegreeParameters(-1), 3, 3), Does.StartWith("indegree:"));
        Assert.That(new FixedIndegree().Validate(new FixedIndegreeParameters(5, allow_multapses: false), 3, 3), Does.StartWith("indegree:"));
    }
}
