using BioSim.Engine.Random;
using NUnit.Framework;

namespace BioSim.Tests.Engine;

[TestFixture, Category("Unit")]
public sealed class RandomStreamTests
{
    /// <summary>Known-answer test from Random123's kat_vectors (philox4x32_10, counter 0, key 0).</summary>
    [Test]
    public void PhiloxMatchesRandom123KnownAnswer()
    {
        var (a, b, c, d) = Philox.Block(0, 0, 0, 0, 0, 0);
        Assert.That(new[] { a, b, c, d }, Is.EqualTo(new uint[] { 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8 }));
    }

    /// <summary>Random123 kat_vectors: philox4x32_10 with all-ones counter and key.</summary>
    [Test]
    public void PhiloxMatchesRandom123KnownAnswerAllOnes()
    {
        var (a, b, c, d) = Philox.Block(uint.MaxValue, uint.MaxValue, uint.MaxValue, uint.MaxValue, uint.MaxValue, uint.MaxValue);
        Assert.That(new[] { a, b, c, d }, Is.EqualTo(new uint[] { 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd }));
    }

    [Test]
    public void SameKeyAndPositionGiveSameDraws()
    {
        var s1 = new RandomStream(42, "exc", "initial-V");
        var s2 = new RandomStream(42, "exc", "initial-V");
        for (int i = 0; i < 100; i++) Assert.That(s1.NextUInt64(), Is.EqualTo(s2.NextUInt64()));
        var s3 = new RandomStream(42, "exc", "initial-V") { Position = 50 };
        s2 = new RandomStream(42, "exc", "initial-V");
        for (int i = 0; i < 50; i++) s2.NextUInt64();
        Assert.That(s3.NextUInt64(), Is.EqualTo(s2.NextUInt64()));
    }

    /// <summary>Mean and variance of U[0,1) are 1/2 and 1/12; with 1e6 draws the standard errors are
    /// 2.9e-4 and 9e-5, so 5-sigma bounds are 1.5e-3 and 5e-4.</summary>
    [Test]
    public void UniformMomentsAreRight()
    {
        var s = new RandomStream(7, "c", "p").ForElement(3);
        const int n = 1_000_000;
        double sum = 0, sq = 0;
        for (int i = 0; i < n; i++) { double u = s.NextDouble(); sum += u; sq += u * u; }
        double mean = sum / n, variance = sq / n - mean * mean;
        Assert.That(mean, Is.EqualTo(0.5).Within(1.5e-3));
        Assert.That(variance, Is.EqualTo(1.0 / 12).Within(5e-4));
    }

    [Test]
    public void DifferentPurposesAndElementsDiffer()
    {
        var a = new RandomStream(1, "exc", "initial-V");
        var b = new RandomStream(1, "exc", "connectivity");
        Assert.That(a.NextUInt64(), Is.Not.EqualTo(b.NextUInt64()));
        var e0 = a.ForElement(0);
        var e1 = a.ForElement(1);
        Assert.That(e0.NextUInt64(), Is.Not.EqualTo(e1.NextUInt64()));
    }
}
