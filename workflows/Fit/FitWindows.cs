using BioSim.Engine.NeuralOde;
using BioSim.IO.NeuralOde;

namespace BioSim.Workflows.Fit;

/// <summary>How trajectories become training samples.</summary>
internal static class FitWindows
{
    /// <summary>
    /// A driven model sees u(t) through one signal: the trajectories are laid end to end in time (each shifted to start
    /// 1 time unit after the previous one ends) so that one interpolated input serves all of them. The rate circuit has
    /// no other dependence on t, so the shift changes nothing else. Without inputs: no signal and no shifts.
    /// </summary>
    public static (IInputSignal? Input, double[] Shift) JoinInputs(IReadOnlyList<Trace> traces)
    {
        double[] shift = new double[traces.Count];
        int m = traces[0].Inputs;
        if (m == 0) return (null, shift);
        var inputTimes = new List<double>();
        var inputValues = new List<double>();
        double end = double.NegativeInfinity;
        for (int k = 0; k < traces.Count; k++)
        {
            Trace trace = traces[k];
            double first = Math.Min(trace.Times[0], trace.InputTimes![0]);
            shift[k] = k == 0 ? 0 : end + 1 - first;
            foreach (double t in trace.InputTimes) inputTimes.Add(t + shift[k]);
            inputValues.AddRange(trace.Input!);
            end = Math.Max(trace.Times[^1], trace.InputTimes[^1]) + shift[k];
        }
        return (new SampledInput([.. inputTimes], [.. inputValues], m), shift);
    }

    /// <summary>Windows of up to <paramref name="window"/> observations, each starting at an observed state, an MSE on
    /// the observations that follow it.</summary>
    public static List<TrajectoryProblem> Cut(IReadOnlyList<Trace> traces, double[] shift, int window, SolverSettings solver)
    {
        var windows = new List<TrajectoryProblem>();
        for (int k = 0; k < traces.Count; k++)
        {
            var (times, states, d) = (traces[k].Times, traces[k].States, traces[k].Dimension);
            for (int start = 0; start + 1 < times.Length; start += window)
            {
                int count = Math.Min(window, times.Length - 1 - start);
                double[] observations = [.. times[(start + 1)..(start + 1 + count)].Select(t => t + shift[k])];
                double[] targets = states[((start + 1) * d)..((start + 1 + count) * d)];
                windows.Add(new TrajectoryProblem(times[start] + shift[k], states[(start * d)..((start + 1) * d)], observations,
                    new MeanSquaredError(targets, count, d), solver));
            }
        }
        return windows;
    }
}
