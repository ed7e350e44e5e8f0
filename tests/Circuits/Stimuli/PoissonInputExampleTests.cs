using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;
using BioSim.Tests.Cli;
using BioSim.Workflows.Runs;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Circuits.Stimuli;

/// <summary>
/// examples/poisson-input.json (100 Poisson trains at 10 Hz onto 10 LIF neurons through fixed-indegree exp-current
/// synapses, 1 s) through the run workflow: the input count is within 5 SE of its Poisson mean 100 × 10 Hz × 1 s = 1000
/// (SE √1000 ≈ 32), the LIF neurons fire, and the file holds the same spikes, bit for bit, with 1 and 2 threads and
/// when the run is stopped at 500 ms and resumed from its checkpoint (stream positions and spike queues restored).
/// </summary>
[TestFixture, Category("Unit")]
public sealed class PoissonInputExampleTests : TempDirectoryFixture
{
    [Test]
    public void ExampleRunsTheSameWithTwoThreadsAndThroughAResume()
    {
        var runner = StimulusExperiments.Services.GetRequiredService<ExperimentRunner>();
        var experiment = StimulusExperiments.Reader.ReadFile(TestPaths.Example("poisson-input.json"));

        string one = Path.Combine(Dir, "one.h5");
        runner.Run(experiment, one, threads: 1);
        var expected = Spikes(one);
        int inputs = expected["input"].Time.Length, outputs = expected["lif"].Time.Length;
        TestContext.Out.WriteLine($"input: {inputs} spikes; lif: {outputs} spikes ({outputs / 10.0} Hz)");
        Assert.That(inputs, Is.EqualTo(1000).Within(5 * Math.Sqrt(1000)));
        Assert.That(outputs, Is.GreaterThan(0));

        string two = Path.Combine(Dir, "two.h5");
        runner.Run(experiment, two, threads: 2);
        AssertSame(Spikes(two), expected);

        string stopped = Path.Combine(Dir, "stopped.h5");
        using var cancel = new CancellationTokenSource();
        var stopAtHalfway = new Stop(p => { if (p.TimeMs >= 500) cancel.Cancel(); });
        Assert.Throws<OperationCanceledException>(() => runner.Run(experiment, stopped, stopAtHalfway, threads: 2, checkpointEvery: TimeSpan.Zero, cancellation: cancel.Token));
        runner.Resume(stopped);
        AssertSame(Spikes(stopped), expected);
    }

    private static Dictionary<string, (double[] Time, ulong[] Id)> Spikes(string h5)
    {
        using var file = Hdf5File.OpenReadOnly(h5);
        return SonataFileReader.ReadSpikes(file).ToDictionary(s => s.Population, s => (s.TimestampsMs, s.NodeIds));
    }

    private static void AssertSame(Dictionary<string, (double[] Time, ulong[] Id)> actual, Dictionary<string, (double[] Time, ulong[] Id)> expected)
    {
        Assert.That(actual.Keys, Is.EquivalentTo(expected.Keys));
        foreach (var (population, (time, id)) in expected)
        {
            Assert.That(actual[population].Time.Select(BitConverter.DoubleToInt64Bits), Is.EqualTo(time.Select(BitConverter.DoubleToInt64Bits)), population);
            Assert.That(actual[population].Id, Is.EqualTo(id), population);
        }
    }

    /// <summary>Reports on the calling thread, so that the run stops at the block the callback cancels in.</summary>
    private sealed class Stop(Action<RunProgress> report) : IProgress<RunProgress>
    {
        public void Report(RunProgress value) => report(value);
    }
}
