using System.Text.Json.Nodes;
using BioSim.Circuits.Plasticity;
using BioSim.Circuits.Projections;
using BioSim.Engine.Plugins;
using BioSim.Engine.Simulation;
using BioSim.IO.Experiments;
using BioSim.Workflows;
using BioSim.Workflows.Runs;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity.Synaptic;

/// <summary>
/// The plug-in point serves continuous-time rules too (the dendritic error rule changes weights every step from
/// compartment potentials): a rule registered by one line and named in an experiment file gets <c>AfterStep</c> once per
/// step, reads the target population's live state and changes the weights. The test rule relaxes each weight towards
/// the target's membrane potential offset, dw/dt = ((V_post − E_L) − w)/τ, applied with the exact factor of each step;
/// with the target held at rest by having no input, V − E_L = 0, so w(t) = w₀·exp(−t/τ) exactly (analytic).
/// </summary>
[TestFixture]
public sealed class ContinuousRulePluginTests
{
    public sealed record RelaxParameters(double tau);

    /// <summary>A continuous-time rule: every step, each weight relaxes towards V_post − E_L of its target (E_L = −70 mV).</summary>
    public sealed class RelaxRule : SynapticRule<RelaxParameters>
    {
        public override bool NeedsPostsynapticSpikes => false;

        protected override string? Validate(RelaxParameters parameters) => parameters.tau > 0 ? null : "tau: must be > 0";

        protected override (double Min, double Max) WeightBounds(RelaxParameters parameters) => (double.NegativeInfinity, double.PositiveInfinity);

        protected override ISynapticPlasticity Create(RelaxParameters parameters) => new Running(parameters.tau);

        private sealed class Running(double tau) : ISynapticPlasticity
        {
            private PlasticSynapses _synapses = null!;
            private double[] _v = [];
            private double _decay;

            public void Bind(PlasticSynapses synapses)
            {
                _synapses = synapses;
                _v = synapses.Target.Variable("V");
                _decay = Math.Exp(-synapses.Dt / tau);
            }

            public void OnPresynaptic(int synapse, double t)
            {
            }

            public void OnPostsynaptic(int target, double t)
            {
            }

            public void AfterStep(double t)
            {
                var w = _synapses.Weights;
                for (int k = 0; k < w.Length; k++)
                {
                    double goal = _v[_synapses.Targets[k]] + 70.0;
                    w[k] = goal + (w[k] - goal) * _decay;
                }
            }

            public void SaveState(StateSnapshot snapshot, string prefix)
            {
            }

            public void LoadState(StateSnapshot snapshot, string prefix)
            {
            }
        }
    }

    [Test]
    public void ARuleRegisteredByOneLineRunsEveryStepAndChangesTheWeights()
    {
        using var services = new ServiceCollection().AddBioSim()
            .AddPlugin<ISynapticRule, RelaxRule>("relax")
            .BuildServiceProvider();
        var json = JsonNode.Parse("""
            { "name": "relax", "seed": 3, "dt": 0.1, "duration": 50,
              "populations": [
                {"name": "src", "size": 3, "model": "spike-generator", "parameters": {"times": [[], [], []]}},
                {"name": "dst", "size": 2, "model": "lif", "parameters": {"E_L": -70}, "receptors": [{"name": "e", "model": "exp-current", "tau": 5}],
                 "initial": {"V": -70}}],
              "projections": [{"name": "p", "source": "src", "target": "dst", "receptor": "e", "connectivity": {"rule": "all-to-all"},
                               "weight": {"uniform": [1, 2]}, "plasticity": {"rule": "relax", "tau": 20}}] }
            """)!;
        var experiment = services.GetRequiredService<ExperimentReader>().Read(json.ToJsonString(), "relax.json");
        var model = services.GetRequiredService<ModelBuilder>().Build(experiment);
        using var simulation = model.Simulator;
        var projection = model.Projections.Single();
        double[] initial = projection.Weights.ToArray();
        Assert.That(initial, Has.Length.EqualTo(6).And.All.InRange(1.0, 2.0));
        simulation.Run(experiment.Steps);
        double factor = Math.Exp(-50.0 / 20.0);
        for (int k = 0; k < initial.Length; k++)
        {
            Assert.That(projection.Weights[k], Is.EqualTo(initial[k] * factor).Within(1e-12 * initial[k]), $"synapse {k}: w0·exp(−T/τ)");
        }
    }

    [Test]
    public void AnUnknownRuleListsTheRegisteredOnes()
    {
        using var services = new ServiceCollection().AddBioSim().AddPlugin<ISynapticRule, RelaxRule>("relax").BuildServiceProvider();
        var json = JsonNode.Parse("""
            { "name": "x", "seed": 3, "dt": 0.1, "duration": 1,
              "populations": [{"name": "a", "size": 1, "model": "lif"}, {"name": "b", "size": 1, "model": "lif", "receptors": [{"name": "e", "model": "exp-current", "tau": 5}]}],
              "projections": [{"source": "a", "target": "b", "receptor": "e", "connectivity": {"rule": "all-to-all"}, "weight": 1, "plasticity": {"rule": "relx", "tau": 1}}] }
            """)!;
        var error = Assert.Throws<ExperimentException>(() => services.GetRequiredService<ExperimentReader>().Read(json.ToJsonString(), "x.json"))!;
        Assert.That(error.Message, Does.Contain("x.json").And.Contain("projections[0].plasticity.rule").And.Contain("relax, stdp, stdp-triplet"));
    }
}
