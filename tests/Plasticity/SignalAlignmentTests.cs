using BioSim.Engine.Numerics;
using BioSim.Engine.Simulation;
using BioSim.Plasticity.Data;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Rules;
using BioSim.Plasticity.Training;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity;

/// <summary>
/// The angle <c>biosim compare</c> reports between a rule's hidden errors and backprop's. Expected values
/// come from identities of the rules' equations: feedback alignment with B_l = W_lᵀ is backprop
/// (Lillicrap et al. 2016), and so is direct feedback alignment with one hidden layer and B_1 = W_2ᵀ
/// (Nøkland 2016, eq. 3 against eq. 1), so both must give 0° (1e-6° allows for the arccos of a rounded 1);
/// a rule with −1 × backprop's error gives 180°. Measuring must not change the rule's state.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class SignalAlignmentTests
{
    private static (Network Net, Dataset Data) Setup(params int[] hidden)
    {
        var layers = hidden.Select(h => new LayerSpec(h, new Tanh())).Append(new LayerSpec(3, new Identity())).ToList();
        var net = new Network(6, layers, new ManagedMatrixProduct());
        net.Initialise(11);
        var data = TeacherStudent.Tanh(6, 5, 3, 40, 2);
        return (net, data);
    }

    [Test]
    public void FeedbackAlignmentWithTransposedWeightsIsAtZeroDegrees()
    {
        var (net, data) = Setup(7, 5, 4);
        var fa = new FeedbackAlignment();
        fa.Prepare(net, 3);
        for (int l = 1; l < net.Layers.Count; l++)
        {
            var w = net.Layers[l];
            for (int o = 0; o < w.Outputs; o++)
                for (int i = 0; i < w.Inputs; i++) fa.FeedbackWeights[l - 1][i * w.Outputs + o] = w.Weights[o * w.Inputs + i];
        }
        var angles = new double[3];
        new SignalAlignment(net, new MeanSquaredError(), data, 16).Measure(fa, angles);
        Assert.That(angles, Has.All.EqualTo(0).Within(1e-6));

        var random = new FeedbackAlignment();
        random.Prepare(net, 3);
        new SignalAlignment(net, new MeanSquaredError(), data, 16).Measure(random, angles);
        Assert.That(angles, Has.All.InRange(30.0, 150.0), "random feedback is far from backprop before training");
    }

    [Test]
    public void DirectFeedbackAlignmentWithOneHiddenLayerAndTransposedOutputWeightsIsAtZeroDegrees()
    {
        var (net, data) = Setup(8);
        var dfa = new DirectFeedbackAlignment();
        dfa.Prepare(net, 3);
        var w2 = net.Layers[1];
        for (int k = 0; k < w2.Outputs; k++)
            for (int j = 0; j < w2.Inputs; j++) dfa.FeedbackWeights[0][j * w2.Outputs + k] = w2.Weights[k * w2.Inputs + j];
        var angle = new double[1];
        new SignalAlignment(net, new MeanSquaredError(), data, 40).Measure(dfa, angle);
        Assert.That(angle[0], Is.EqualTo(0).Within(1e-6));
    }

    [Test]
    public void MeasuringRestoresTheRuleStateAndNegatedErrorsAreAt180Degrees()
    {
        var (net, data) = Setup(5, 5);
        var rule = new NegatedBackpropWithCounter();
        var alignment = new SignalAlignment(net, new MeanSquaredError(), data, 10);
        var angles = new double[2];
        alignment.Measure(rule, angles);
        Assert.That(angles, Has.All.EqualTo(180).Within(1e-6));
        Assert.That(rule.Calls, Is.EqualTo(0), "the counter the probe pass raised was restored");
    }

    [Test]
    public void ARuleThatLeavesTheErrorsUntouchedGetsNaN()
    {
        var (net, data) = Setup(5);
        var angles = new double[1];
        new SignalAlignment(net, new MeanSquaredError(), data, 10).Measure(new UpdatesOnly(), angles);
        Assert.That(angles[0], Is.NaN);
    }

    /// <summary>δ_l = −δ_l^BP, counting its calls as state.</summary>
    private sealed class NegatedBackpropWithCounter : ErrorSignalRule
    {
        public long Calls { get; private set; }

        public override void Prepare(Network network, ulong seed) { }

        public override void PropagateErrors(Network network, NetworkTape tape)
        {
            Calls++;
            new Backpropagation().PropagateErrors(network, tape);
            for (int l = 1; l < network.Layers.Count; l++)
                for (int i = 0; i < tape.Batch * network.Layers[l - 1].Outputs; i++) tape.Delta[l][i] = -tape.Delta[l][i];
        }

        public override void SaveState(StateSnapshot snapshot, string prefix) => snapshot.Put($"{prefix}calls", [Calls]);

        public override void LoadState(StateSnapshot snapshot, string prefix)
        {
            Span<long> c = stackalloc long[1];
            snapshot.Get($"{prefix}calls", c);
            Calls = c[0];
        }
    }

    /// <summary>Writes zero updates and no per-layer errors.</summary>
    private sealed class UpdatesOnly : ICreditAssignmentRule
    {
        public void Prepare(Network network, ulong seed) { }

        public void ComputeUpdates(Network network, NetworkTape tape, ParameterGradients gradients)
        {
            foreach (var w in gradients.Weights) w.AsSpan().Clear();
        }

        public void SaveState(StateSnapshot snapshot, string prefix) { }

        public void LoadState(StateSnapshot snapshot, string prefix) { }
    }
}
