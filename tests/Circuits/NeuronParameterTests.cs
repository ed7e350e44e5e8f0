using BioSim.Circuits;
using BioSim.Circuits.Neurons.AdEx;
using BioSim.Circuits.Neurons.HodgkinHuxley;
using BioSim.Circuits.Neurons.LifCond;
using BioSim.Circuits.Populations;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Plugins;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Circuits;

/// <summary>Invalid parameters are rejected with a message that starts with the offending field.</summary>
[TestFixture, Category("Unit")]
public sealed class NeuronParameterTests
{
    private static readonly ReceptorSpec[] Receptors = [new("exc", ReceptorSpec.ExpConductance, 5.0, 0.0), new("cur", ReceptorSpec.ExpCurrent, 2.0)];

    private static IEnumerable<TestCaseData> AdExCases()
    {
        var d = new AdExParameters();
        yield return new TestCaseData(d with { C_m = 0 }, "C_m").SetName("AdEx rejects C_m = 0");
        yield return new TestCaseData(d with { g_L = -1 }, "g_L").SetName("AdEx rejects g_L < 0");
        yield return new TestCaseData(d with { E_L = double.NaN }, "E_L").SetName("AdEx rejects E_L = NaN");
        yield return new TestCaseData(d with { V_T = double.PositiveInfinity }, "V_T").SetName("AdEx rejects V_T = inf");
        yield return new TestCaseData(d with { Delta_T = 0 }, "Delta_T").SetName("AdEx rejects Delta_T = 0");
        yield return new TestCaseData(d with { tau_w = 0 }, "tau_w").SetName("AdEx rejects tau_w = 0");
        yield return new TestCaseData(d with { a = double.NaN }, "a").SetName("AdEx rejects a = NaN");
        yield return new TestCaseData(d with { b = double.NegativeInfinity }, "b").SetName("AdEx rejects b = -inf");
        yield return new TestCaseData(d with { V_peak = -60 }, "V_peak").SetName("AdEx rejects V_peak below V_T");
        yield return new TestCaseData(d with { Delta_T = 0.01, V_peak = 100 }, "V_peak").SetName("AdEx rejects an exponent that overflows at V_peak");
        yield return new TestCaseData(d with { V_reset = 10 }, "V_reset").SetName("AdEx rejects V_reset above V_peak");
        yield return new TestCaseData(d with { t_ref = -1 }, "t_ref").SetName("AdEx rejects t_ref < 0");
        yield return new TestCaseData(d with { I_e = double.NaN }, "I_e").SetName("AdEx rejects I_e = NaN");
    }

    private static IEnumerable<TestCaseData> HhCases()
    {
        var d = new HhParameters();
        yield return new TestCaseData(d with { area = 0 }, "area").SetName("HH rejects area = 0");
        yield return new TestCaseData(d with { cm = -1 }, "cm").SetName("HH rejects cm < 0");
        yield return new TestCaseData(d with { gnabar = -0.1 }, "gnabar").SetName("HH rejects gnabar < 0");
        yield return new TestCaseData(d with { gkbar = double.NaN }, "gkbar").SetName("HH rejects gkbar = NaN");
        yield return new TestCaseData(d with { gl = 0 }, "gl").SetName("HH rejects gl = 0");
        yield return new TestCaseData(d with { el = double.NaN }, "el").SetName("HH rejects el = NaN");
        yield return new TestCaseData(d with { ena = double.PositiveInfinity }, "ena").SetName("HH rejects ena = inf");
        yield return new TestCaseData(d with { ek = double.NaN }, "ek").SetName("HH rejects ek = NaN");
        yield return new TestCaseData(d with { celsius = -300 }, "celsius").SetName("HH rejects celsius below absolute zero");
        yield return new TestCaseData(d with { V_th = double.NaN }, "V_th").SetName("HH rejects V_th = NaN");
        yield return new TestCaseData(d with { V_init = double.NaN }, "V_init").SetName("HH rejects V_init = NaN");
        yield return new TestCaseData(d with { I_e = double.NaN }, "I_e").SetName("HH rejects I_e = NaN");
    }

    private static IEnumerable<TestCaseData> LifCondCases()
    {
        var d = new LifCondParameters();
        yield return new TestCaseData(d with { C_m = 0 }, "C_m").SetName("lif-cond rejects C_m = 0");
        yield return new TestCaseData(d with { g_L = double.NaN }, "g_L").SetName("lif-cond rejects g_L = NaN");
        yield return new TestCaseData(d with { E_L = double.NaN }, "E_L").SetName("lif-cond rejects E_L = NaN");
        yield return new TestCaseData(d with { V_th = double.NegativeInfinity }, "V_th").SetName("lif-cond rejects V_th = -inf");
        yield return new TestCaseData(d with { V_reset = -40 }, "V_reset").SetName("lif-cond rejects V_reset above V_th");
        yield return new TestCaseData(d with { t_ref = -0.5 }, "t_ref").SetName("lif-cond rejects t_ref < 0");
        yield return new TestCaseData(d with { I_e = double.PositiveInfinity }, "I_e").SetName("lif-cond rejects I_e = inf");
    }

    [TestCaseSource(nameof(AdExCases))]
    public void AdExRejects(AdExParameters parameters, string field) => AssertRejected("adex", parameters, field);

    [TestCaseSource(nameof(HhCases))]
    public void HhRejects(HhParameters parameters, string field) => AssertRejected("hh", parameters, field);

    [TestCaseSource(nameof(LifCondCases))]
    public void LifCondRejects(LifCondParameters parameters, string field) => AssertRejected("lif-cond", parameters, field);

    [TestCase("adex")]
    [TestCase("hh")]
    [TestCase("lif-cond")]
    public void DefaultsAreValidAndBuildAPopulation(string name)
    {
        var model = Model(name);
        object defaults = Activator.CreateInstance(model.ParametersType)!;
        Assert.That(model.Validate(defaults), Is.Null);
        var population = model.Create("p", 3, defaults, Receptors);
        Assert.That(population.InputNames, Is.EqualTo(new[] { "exc", "cur" }));
        Assert.That(population.VariableNames, Does.Contain("V").And.Contain("g_exc").And.Contain("I_cur"));
    }

    private static void AssertRejected(string name, object parameters, string field)
    {
        var model = Model(name);
        string? problem = model.Validate(parameters);
        Assert.That(problem, Does.StartWith(field + ":"));
        var error = Assert.Throws<ArgumentException>(() => model.Create("pop", 2, parameters, Receptors))!;
        Assert.That(error.Message, Does.Contain("'pop'").And.Contain(field + ":"));
    }

    private static IPopulationModel Model(string name)
    {
        var services = new ServiceCollection().AddCircuits().BuildServiceProvider();
        return services.GetRequiredService<Catalogue>().Find<IPopulationModel>(name)
            ?? throw new AssertionException($"'{name}' is not registered.");
    }
}
