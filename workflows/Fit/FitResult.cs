using BioSim.Engine.NeuralOde;
using BioSim.IO.NeuralOde;

namespace BioSim.Workflows.Fit;

/// <summary>What a fit gives: the fitted field, its named parameter blocks, the loss of every step and the
/// whole-trajectory errors.</summary>
/// <param name="Experiment">The fit file as read.</param>
/// <param name="Field">The fitted field (its parameters are the result).</param>
/// <param name="Blocks">The model's named parameter blocks (W, U, b, tau; layer_sizes).</param>
/// <param name="LossCurve">The minibatch loss of every step.</param>
/// <param name="Trajectories">Training trajectories.</param>
/// <param name="Windows">Training windows cut from them.</param>
/// <param name="TrajectoryMse">MSE of the whole first training trajectory, solved from its observed first state.</param>
/// <param name="TrajectoryName">The name of that trajectory.</param>
/// <param name="HeldOutMse">Mean MSE of the held-out trajectories from their true initial states against their
/// noise-free states, or null without held-out data.</param>
/// <param name="HeldOut">Number of held-out trajectories.</param>
/// <param name="Shown">The trajectory to plot: the first held-out one when there are any, else the first training one.</param>
public sealed record FitResult(FitExperiment Experiment, IParametricVectorField Field, IReadOnlyList<KeyValuePair<string, double[]>> Blocks,
    IReadOnlyList<double> LossCurve, int Trajectories, int Windows, double TrajectoryMse, string TrajectoryName, double? HeldOutMse, int HeldOut, FitPrediction Shown);
