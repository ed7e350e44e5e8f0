using System.Globalization;
using BioSim.Circuits.Microcircuit;
using BioSim.Circuits.Plasticity;
using BioSim.Engine.Numerics;
using BioSim.Engine.Plugins;
using BioSim.Plasticity.Dendritic;
using BioSim.Plasticity.Estimators;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Rules;
using BioSim.Plasticity.Synaptic;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace BioSim.Plasticity;

/// <summary>Registers the plasticity catalogue: activations, losses, weight initialisations, optimisers, credit-assignment rules, synaptic rules that run inside a simulation.</summary>
public static class PlasticityServiceCollectionExtensions
{
    /// <summary>Registers the built-in learning rules, optimisers, losses, activations and weight initialisations by the
    /// names files use, and the matrix product (OpenBLAS when present).</summary>
    public static IServiceCollection AddPlasticity(this IServiceCollection services)
    {
        services.TryAddSingleton(_ => MatrixProducts.CreateDefault());
        services.AddPlugin<ICreditAssignmentRule, Backpropagation>("backprop", PluginLifetime.PerUse);
        services.AddPlugin<ICreditAssignmentRule, FeedbackAlignment>("feedback-alignment", PluginLifetime.PerUse);
        services.AddPlugin<ICreditAssignmentRule, DirectFeedbackAlignment>("direct-feedback-alignment", PluginLifetime.PerUse);
        services.AddPlugin<ICreditAssignmentRule, GaitProp>("gait-prop", PluginLifetime.PerUse);
        services.AddPlugin<ICreditAssignmentRule, IncrementalTargetPropagation>("itp", PluginLifetime.PerUse);
        services.AddPlugin<ICreditAssignmentRule, CorrelativeInfomax>("correlative-infomax", PluginLifetime.PerUse);
        services.AddPlugin<ICreditAssignmentRule, DendriticErrorCreditAssignment>("dendritic-error", PluginLifetime.PerUse);
        services.AddPlugin<ICreditAssignmentRule, StochasticUnits>("stochastic-units", PluginLifetime.PerUse);
        services.AddPlugin<ICreditAssignmentRule, StochasticBackprop>("stochastic-backprop", PluginLifetime.PerUse);

        services.AddPlugin<ISynapticRule, Stdp>("stdp");
        services.AddPlugin<ISynapticRule, TripletStdp>("stdp-triplet");
        services.AddPlugin<ISynapticRule, UrbanczikSenn>("urbanczik-senn");

        services.AddPlugin<IDiscreteGradientEstimator>("straight-through", () => new StraightThrough());
        services.AddPlugin<IDiscreteGradientEstimator>("reinmax", () => new ReinMax());
        services.AddPlugin<IMicrocircuitRule, DendriticErrorRule>("dendritic-error");

        services.AddPlugin<IOptimiser>("sgd", () => new SgdMomentum(), PluginLifetime.PerUse);
        services.AddPlugin<IOptimiser>("adam", () => new Adam(), PluginLifetime.PerUse);
        services.AddPlugin<IOptimiser>("rmsprop", () => new RmsProp(), PluginLifetime.PerUse);

        services.AddPlugin<ILoss, MeanSquaredError>("mse");
        services.AddPlugin<ILoss, SoftmaxCrossEntropy>("softmax-cross-entropy");

        services.AddPlugin<Activation, Identity>("identity");
        services.AddPlugin<Activation, Tanh>("tanh");
        services.AddPlugin<Activation, Logistic>("logistic");
        services.AddPlugin<Activation, Relu>("relu");
        services.AddPlugin<Activation>("leaky-relu", () => new LeakyRelu());
        services.AddPlugin<Activation, Softplus>("softplus");
        services.AddPlugin<Activation, HardSigmoid>("hard-sigmoid");
        services.AddPlugin<Activation, UnitClip>("unit-clip");

        services.AddPlugin<IWeightInitialisation, PyTorchDefaultInitialisation>("pytorch");
        services.AddPlugin<IWeightInitialisation, OrthogonalInitialisation>("orthogonal");
        services.AddPlugin<IWeightInitialisation, XavierUniformInitialisation>("xavier-uniform");
        services.AddPlugin<IWeightInitialisation, DistributionInitialisation>("distribution", PluginLifetime.PerUse);
        return services;
    }

    /// <summary>A new instance of the rule named <paramref name="name"/>; an unknown name lists the known ones.</summary>
    public static ICreditAssignmentRule CreateRule(this Catalogue catalogue, string name) =>
        catalogue.Get<ICreditAssignmentRule>(name, "learning rule");

    /// <summary>A new optimiser named <paramref name="name"/> with its default settings; an unknown name lists the known ones.</summary>
    public static IOptimiser CreateOptimiser(this Catalogue catalogue, string name) => catalogue.Get<IOptimiser>(name, "optimiser");

    /// <summary>The loss named <paramref name="name"/>; an unknown name lists the known ones.</summary>
    public static ILoss CreateLoss(this Catalogue catalogue, string name) => catalogue.Get<ILoss>(name, "loss");

    /// <summary>The weight initialisation named <paramref name="name"/>; an unknown name lists the known ones.</summary>
    public static IWeightInitialisation CreateInitialisation(this Catalogue catalogue, string name) =>
        catalogue.Get<IWeightInitialisation>(name, "initialisation");

    /// <summary>
    /// The activation named <paramref name="name"/>, or "name:value" for a registered activation with its parameter set
    /// ("leaky-relu:0.1", <see cref="Activation.WithParameter"/>). An unknown name lists the known ones.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown name, or a parameter that is not a number or not allowed.</exception>
    public static Activation CreateActivation(this Catalogue catalogue, string name)
    {
        ArgumentNullException.ThrowIfNull(catalogue);
        ArgumentNullException.ThrowIfNull(name);
        int colon = name.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0) return catalogue.Get<Activation>(name, "activation");
        string kind = name[..colon], value = name[(colon + 1)..];
        var activation = catalogue.Get<Activation>(kind, "activation");
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double parameter))
            throw new ArgumentException($"Activation '{name}': the parameter after '{kind}:' must be a number (as in 'leaky-relu:0.1'), not '{value}'.", nameof(name));
        return activation.WithParameter(parameter);
    }
}
