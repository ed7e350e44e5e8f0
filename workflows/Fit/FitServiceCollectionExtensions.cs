using BioSim.Engine.NeuralOde;
using BioSim.Engine.Plugins;
using BioSim.Plasticity.NeuralOde;
using Microsoft.Extensions.DependencyInjection;

namespace BioSim.Workflows.Fit;

/// <summary>Registers what <c>biosim fit</c> resolves by name (gradient methods, fit models) and the fit workflow.</summary>
public static class FitServiceCollectionExtensions
{
    /// <summary>The gradient methods (by the names fit files use), the fit models and <see cref="FitWorkflow"/>.</summary>
    public static IServiceCollection AddFit(this IServiceCollection services)
    {
        // Gradient methods keep buffers for the backward pass: a new instance per use.
        services.AddPlugin<IGradientMethod, BackpropThroughSolver>("backprop", PluginLifetime.PerUse);
        services.AddPlugin<IGradientMethod, CheckpointedBackprop>("checkpoint", PluginLifetime.PerUse);
        services.AddPlugin<IGradientMethod, SymplecticAdjoint>("symplectic-adjoint", PluginLifetime.PerUse);
        services.AddPlugin<IGradientMethod>("continuous-adjoint", () => new ContinuousAdjoint(), PluginLifetime.PerUse);
        services.AddPlugin<IGradientMethod>("finite-differences", () => new FiniteDifferences(), PluginLifetime.PerUse);
        services.AddPlugin<IFitModel, MlpFitModel>("mlp");
        services.AddPlugin<IFitModel, RateCircuitFitModel>("rate-circuit");
        services.AddSingleton<FitWorkflow>();
        return services;
    }
}
