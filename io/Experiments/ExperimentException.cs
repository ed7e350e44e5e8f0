namespace BioSim.IO.Experiments;

/// <summary>An experiment file that cannot be used: names the file, the JSON path of the field and the fix.</summary>
public sealed class ExperimentException : Exception
{
    public ExperimentException(string file, string path, string problem)
        : base(path.Length == 0 ? $"{file}: {problem}" : $"{file}: {path}: {problem}")
    {
        File = file;
        FieldPath = path;
        Problem = problem;
    }

    public ExperimentException() : base("Invalid experiment.") { File = FieldPath = ""; }

    public ExperimentException(string message) : base(message) { File = FieldPath = ""; }

    public ExperimentException(string message, Exception inner) : base(message, inner) { File = FieldPath = ""; }

    public string File { get; }

    public string FieldPath { get; }

    /// <summary>What is wrong and what is allowed, without file and path.</summary>
    public string Problem { get; } = "";
}
