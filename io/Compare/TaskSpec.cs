namespace BioSim.IO.Compare;

/// <summary>What a comparison learns from: the task's catalogue name, its settings, and the shape of its samples.</summary>
/// <param name="Type">The task's catalogue name ("fashion-mnist", "teacher-student").</param>
/// <param name="Settings">The task's settings record (<see cref="ITask.SettingsType"/>).</param>
/// <param name="Inputs">Input width per sample (784 for Fashion-MNIST).</param>
/// <param name="Outputs">Output width: classes or regression targets.</param>
/// <param name="Classification">Whether samples carry class labels (accuracy is reported, softmax cross-entropy is the default loss).</param>
/// <param name="Description">The task in messages and summaries ("fashion-mnist", "teacher-student/tanh").</param>
public sealed record TaskSpec(string Type, object Settings, int Inputs, int Outputs, bool Classification, string Description);
