using BioSim.Circuits.Connectivity;
using BioSim.Circuits.Microcircuit;
using BioSim.Circuits.Plasticity;
using BioSim.Circuits.Populations;
using BioSim.Circuits.Projections;
using BioSim.Circuits.Stimuli;
using BioSim.Engine.Distributed;
using BioSim.Engine.Plugins;
using BioSim.Engine.Random;
using BioSim.Engine.Simulation;
using BioSim.IO.Experiments;

namespace BioSim.Workflows.Runs;

/// <summary>
/// Turns a validated <see cref="Experiment"/> into populations, projections and a simulation. Every
/// random draw comes from a stream keyed by (experiment seed, component name, purpose) and, within it,
/// by element, so the network is the same whatever the thread count.
/// </summary>
public sealed class ModelBuilder(Catalogue catalogue)
{
    /// <summary>Builds the populations, projections and simulator of <paramref name="experiment"/>.</summary>
    /// <param name="experiment">A validated experiment; an unknown population model or bad population parameters are reported as an <see cref="ExperimentException"/> against its file.</param>
    /// <param name="threads">Worker threads for the population updates; null: the experiment's "threads". Results do not depend on it.</param>
    /// <param name="minElementsForThreads">See <see cref="Simulator"/>: networks smaller than this step on one thread.</param>
    /// <param name="minDeliveriesForThreads">See <see cref="Simulator"/>: steps with fewer synaptic deliveries deliver on one thread.</param>
    /// <param name="processes">See <see cref="Simulator"/>: the processes the network is split over (MPI), or null.</param>
    public BuiltModel Build(Experiment experiment, int? threads = null, int minElementsForThreads = Simulator.MinElementsForThreads,
        int minDeliveriesForThreads = Simulator.MinDeliveriesForThreads, IProcessGroup? processes = null)
    {
        var populations = new List<IDynamics>();
        foreach (var spec in experiment.Populations)
        {
            var model = catalogue.Find<IPopulationModel>(spec.Model)
                ?? throw new ExperimentException(experiment.File, "populations", $"unknown model '{spec.Model}'; allowed: {string.Join(", ", catalogue.Names<IPopulationModel>())}");
            IPopulation population;
            try
            {
                population = model.Create(spec.Name, spec.Size, spec.Parameters, spec.Receptors, experiment.Seed);
            }
            catch (ArgumentException e)
            {
                // Checks that need the size as well as the parameters (a rate circuit's W must be size × size).
                throw new ExperimentException(experiment.File, $"populations[{experiment.Populations.ToList().IndexOf(spec)}]", e.Message);
            }
            if (spec.Integration is { } integration)
            {
                if (population is not ILocalStepping local)
                {
                    throw new ExperimentException(experiment.File, $"populations[{experiment.Populations.ToList().IndexOf(spec)}].integration",
                        $"model '{spec.Model}' does not take adaptive steps per cell (adex, hh and lif-cond do); remove \"integration\"");
                }
                local.UseLocalSteps(integration);
            }
            foreach (var (variable, distribution) in spec.Initial)
            {
                if (!population.VariableNames.Contains(variable))
                {
                    int index = experiment.Populations.ToList().IndexOf(spec);
                    throw new ExperimentException(experiment.File, $"populations[{index}].initial.{variable}",
                        $"model '{spec.Model}' has no variable '{variable}'; it has: {string.Join(", ", population.VariableNames)}");
                }
                var values = population.Variable(variable);
                var stream = new RandomStream(experiment.Seed, spec.Name, "initial/" + variable);
                for (int i = 0; i < values.Length; i++)
                {
                    var element = stream.ForElement((uint)i);
                    values[i] = distribution.Sample(ref element);
                }
            }
            if (spec.Task is { } task && population is CorticalMicrocircuit taught) taught.UseSamples(task.Samples(taught, experiment.Seed));
            if (spec.Plasticity is not null && population is CorticalMicrocircuit circuit)
            {
                try
                {
                    circuit.Attach(catalogue.Get<IMicrocircuitRule>(spec.Plasticity, "microcircuit plasticity rule").Create(spec.PlasticityParameters!));
                }
                catch (ArgumentException e)
                {
                    // Checks that need the circuit as well as the rule (one learning rate per layer).
                    throw new ExperimentException(experiment.File, $"populations[{experiment.Populations.ToList().IndexOf(spec)}].plasticity", e.Message);
                }
            }
            populations.Add(population);
        }
        // The step's methods compile on a worker thread while the projections are built (see IPreparesCode).
        var timing = experiment.Timing;
        var preparation = CodePreparation.Start(() =>
        {
            foreach (var population in populations) (population as IPreparesCode)?.PrepareCode(timing);
            Simulator.PrepareCode(timing);
            Projection.PrepareCode(timing);
            Recorder.PrepareCode();
        });

        var projections = new List<Projection>();
        // A split run: each process generates only the synapses onto the neurons it steps (the simulator's cut, ElementBlocks).
        var owned = processes is { Size: > 1 } ? ElementBlocks.Owned(populations, processes.Size, processes.Rank) : null;
        for (int index = 0; index < experiment.Projections.Count; index++)
        {
            var spec = experiment.Projections[index];
            var source = populations.First(p => p.Name == spec.Source);
            var target = populations.First(p => p.Name == spec.Target);
            var rule = catalogue.Find<IConnectivityRule>(spec.Rule)!;
            // A current device's projection stays whole on every process (the target computes the device's current itself).
            var (start, end) = owned is not null && source is not ICurrentSource ? owned[populations.IndexOf(target)] : (0, target.Size);
            var pattern = rule.Build(spec.RuleParameters, source.Size, target.Size, ReferenceEquals(source, target),
                new RandomStream(experiment.Seed, spec.Name, "connectivity"), start, end);
            var layout = owned is not null && source is not ICurrentSource ? PieceLayout.Gather(pattern, processes!, spec.Name) : null;
            if (source is ICurrentSource device)
            {
                // A current device's projection: the target computes the current it injects (see CurrentProjection).
                if (target is not ICurrentTarget currentTarget)
                {
                    throw new ExperimentException(experiment.File, $"projections[{index}].target", $"population '{target.Name}' cannot take the current of device '{source.Name}'");
                }
                double[]? currentWeights = spec.Weight is ConstantDistribution ? null : Draw(spec.Weight, pattern, new RandomStream(experiment.Seed, spec.Name, "weight"));
                double uniform = spec.Weight is ConstantDistribution cw ? cw.Value : 0;
                double delay = spec.Delay is ConstantDistribution cd ? cd.Value : 0;
                currentTarget.AttachCurrent(new CurrentProjection(spec.Name, device, target.Name, target.Size, pattern, currentWeights, uniform, delay));
                continue;
            }
            double[]? delays = spec.Delay.IsConstant ? null : Draw(spec.Delay, pattern, new RandomStream(experiment.Seed, spec.Name, "delay"), layout?.Before);
            double uniformDelay = spec.Delay is ConstantDistribution c ? c.Value : 0;
            projections.Add(spec.Weight is ConstantDistribution w
                ? new Projection(spec.Name, spec.Source, target, spec.Receptor, pattern, w.Value, uniformDelay, delays)
                : new Projection(spec.Name, spec.Source, target, spec.Receptor, pattern,
                    Draw(spec.Weight, pattern, new RandomStream(experiment.Seed, spec.Name, "weight"), layout?.Before), uniformDelay, delays));
            if (layout is not null) HoldPiece(projections[^1], layout, start, end, delays, uniformDelay, processes!);
            if (spec.Plasticity is not null) AttachPlasticity(experiment, index, projections[^1], source);
        }

        if (experiment.Timing == SpikeTiming.Exact)
        {
            foreach (var projection in projections)
            {
                if (projection.Target is IExactInput) continue;
                var spec = experiment.Populations.First(p => p.Name == projection.Target.Name);
                throw new ExperimentException(experiment.File, "timing",
                    $"model '{spec.Model}' of population '{spec.Name}' (target of projection '{projection.Name}') does not support \"timing\": \"exact\"; only adex, hh, lif and lif-cond do; use \"grid\"");
            }
        }
        var simulation = new Simulator(populations, projections, experiment.Dt, threads ?? experiment.Threads, minElementsForThreads, experiment.Timing,
            minDeliveriesForThreads, processes);
        return new BuiltModel(simulation, populations, projections) { CodePreparation = preparation };
    }

    /// <summary>Attaches the synaptic rule that projection <paramref name="index"/> names; a rule that needs the target's spikes
    /// on a projection onto a rate model is an error at <c>projections[index].plasticity</c>.</summary>
    private void AttachPlasticity(Experiment experiment, int index, Projection projection, IDynamics source)
    {
        var spec = experiment.Projections[index];
        var rule = catalogue.Find<ISynapticRule>(spec.Plasticity!)!;
        if (rule.NeedsPostsynapticSpikes && !projection.Target.EmitsSpikes)
        {
            var model = experiment.Populations.First(p => p.Name == spec.Target).Model;
            throw new ExperimentException(experiment.File, $"projections[{index}].plasticity",
                $"rule '{spec.Plasticity}' needs the spikes of the target, but population '{spec.Target}' (model '{model}') is a rate model that emits none (rate_scale 0 for the dendritic models); use a spiking target");
        }
        projection.AttachPlasticity(rule.Create(spec.PlasticityParameters!), source);
    }

    /// <summary>A split run's process: tells <paramref name="projection"/>, built from the piece onto targets [<paramref name="start"/>,
    /// <paramref name="end"/>), where its synapses lie in the whole projection and the whole projection's shortest and longest
    /// delay (collective when the delays differ between synapses: the same on every process, as the rings and the communication
    /// interval need). The delays of a projection without synapses are its uniform one, as in one process.</summary>
    private static void HoldPiece(Projection projection, PieceLayout layout, int start, int end, double[]? delays, double uniformDelay,
        IProcessGroup processes)
    {
        double min = uniformDelay, max = uniformDelay;
        if (delays is not null)
        {
            // As Projection.MinDelayMs and MaxDelayMs of the whole: the largest of 0 and the delays, the smallest delay.
            min = double.PositiveInfinity;
            max = 0;
            foreach (double d in delays)
            {
                min = Math.Min(min, d);
                max = Math.Max(max, d);
            }
            min = -processes.Max(-min);
            max = processes.Max(max);
            if (layout.WholeCount == 0) min = uniformDelay;
        }
        projection.HoldPiece(start, end, layout.WholeCount, layout.FirstInWhole, min, max);
    }

    /// <summary>One value per synapse, each source row drawing from its own element stream; in a split run's piece, row i's
    /// first <paramref name="before"/>[i] draws belong to the synapses of other processes and are skipped.</summary>
    private static double[] Draw(Distribution distribution, ConnectivityPattern pattern, RandomStream stream, int[]? before = null)
    {
        var values = new double[pattern.SynapseCount];
        if (distribution is ConstantDistribution constant)
        {
            values.AsSpan().Fill(constant.Value);
            return values;
        }
        for (int i = 0; i < pattern.SourceCount; i++)
        {
            var row = stream.ForElement((uint)i);
            if (before is not null && pattern.RowStart[i + 1] > pattern.RowStart[i])
            {
                for (int n = 0; n < before[i]; n++) distribution.Sample(ref row);
            }
            for (int k = pattern.RowStart[i]; k < pattern.RowStart[i + 1]; k++) values[k] = distribution.Sample(ref row);
        }
        return values;
    }
}
