using BioSim.Engine.Events;
using BioSim.Engine.Simulation;
using BioSim.IO.Experiments;
using BioSim.Workflows;
using BioSim.Workflows.Runs;
using Microsoft.Extensions.DependencyInjection;

namespace BioSim.Tests.Circuits.Stimuli;

/// <summary>What the stimulus tests share: the composition root's reader and model builder, and a spike log.</summary>
internal static class StimulusExperiments
{
    public static ServiceProvider Services { get; } = BioSimServiceCollectionExtensions.BuildBioSimServices();

    public static ExperimentReader Reader => Services.GetRequiredService<ExperimentReader>();

    public static ModelBuilder Builder => Services.GetRequiredService<ModelBuilder>();

    /// <summary>Reads <paramref name="json"/> as experiment file <paramref name="file"/> and builds it.</summary>
    public static BuiltModel Build(string json, string file = "stimulus.json", int threads = 1) =>
        Builder.Build(Reader.Read(json, file), threads, minElementsForThreads: 0);
}

/// <summary>Every spike of one population with the step (its end time) in which it was emitted.</summary>
internal sealed class SpikeLog(int population) : IStepObserver
{
    public List<(int Id, double Time, double StepEnd)> Spikes { get; } = [];

    public void AfterStep(double t, IReadOnlyList<SpikeList> spikes)
    {
        var s = spikes[population];
        for (int k = 0; k < s.Count; k++) Spikes.Add((s.Ids[k], s.Times[k], t));
    }

    /// <summary>The spike times of each of <paramref name="size"/> neurons, in emission order.</summary>
    public List<double>[] Trains(int size)
    {
        var trains = Enumerable.Range(0, size).Select(_ => new List<double>()).ToArray();
        foreach (var (id, time, _) in Spikes) trains[id].Add(time);
        return trains;
    }
}
