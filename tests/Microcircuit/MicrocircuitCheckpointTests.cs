using BioSim.Circuits.Microcircuit;
using BioSim.Engine.Simulation;
using BioSim.Plasticity.Dendritic;
using NUnit.Framework;
using static BioSim.Tests.Microcircuit.MicrocircuitSetups;

namespace BioSim.Tests.Microcircuit;

/// <summary>
/// Issue 15: checkpoint and resume of a learning microcircuit (weights, the rule's low-pass state, the data position,
/// noise) is bit-identical to never stopping. The snapshot is taken in the middle of a sample (step 1250 of 1000 per
/// sample), restored into a circuit built afresh, and both runs continue to step 2700; every state array and weight must
/// have the same bits. Two sizes: 6-5-4, and 12-20-10, whose 20 × 10 matrices W^PI_1 and W^PP_{1,2} the rule keeps transposed
/// (a tall matrix of short rows): the circuit's arrays are brought up to date by a copy before they are saved.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class MicrocircuitCheckpointTests
{
    private static (CorticalMicrocircuit Circuit, Simulator Simulator) Build(int[] layers)
    {
        var p = new MicrocircuitParameters { layers = layers, noise = 0.1, initial_scale = 1.5 };
        var c = new CorticalMicrocircuit("mc", p, 5);
        int n0 = layers[0], nL = layers[^1];
        c.UseSamples(new SampleTable(Uniform(1, "x", 4 * n0), n0, Uniform(1, "y", 4 * nL, -1, 1), nL));
        c.Attach(new DendriticErrorRule().Create(new DendriticErrorParameters
        {
            eta_PP = [0.01, 0.005], eta_IP = [0.01], eta_PI = [0.005], eta_down = [0.001],
        }));
        return (c, new Simulator([c], [], 0.1));
    }

    private static double[] Everything(CorticalMicrocircuit c)
    {
        var all = new List<double>();
        foreach (string name in c.VariableNames) all.AddRange(c.Variable(name));
        for (int l = 1; l <= c.OutputLayer; l++)
        {
            all.AddRange(c.Forward(l));
            if (l < c.OutputLayer) all.AddRange([.. c.TopDown(l), .. c.InterneuronToApical(l), .. c.PyramidalToInterneuron(l)]);
        }
        return [.. all];
    }

    [TestCase(new[] { 6, 5, 4 })]
    [TestCase(new[] { 12, 20, 10 })]
    public void ResumingFromASnapshotGivesTheSameBitsAsNeverStopping(int[] layers)
    {
        var (straight, simStraight) = Build(layers);
        using (simStraight) simStraight.Run(2700);

        var (first, simFirst) = Build(layers);
        StateSnapshot snapshot;
        using (simFirst)
        {
            simFirst.Run(1250);
            snapshot = simFirst.Snapshot();
        }
        Assert.That(snapshot.Reals.Keys, Has.Some.StartsWith("populations/mc/plasticity/filtered/"), "the rule's low-pass state is in the snapshot");
        var (resumed, simResumed) = Build(layers);
        using (simResumed)
        {
            simResumed.Restore(snapshot);
            simResumed.Run(1450);
            Assert.That(simResumed.StepIndex, Is.EqualTo(2700));
        }
        var a = Everything(straight);
        var b = Everything(resumed);
        Assert.That(b, Has.Length.EqualTo(a.Length));
        for (int i = 0; i < a.Length; i++)
        {
            Assert.That(BitConverter.DoubleToInt64Bits(b[i]), Is.EqualTo(BitConverter.DoubleToInt64Bits(a[i])), $"value {i}");
        }
        // The data position came from the clock: the resumed run presents sample 2 from step 2000, as the straight one.
        Assert.That(resumed.Rates(0), Is.EqualTo(Uniform(1, "x", 4 * layers[0]).AsSpan(2 * layers[0], layers[0]).ToArray()));
    }
}
