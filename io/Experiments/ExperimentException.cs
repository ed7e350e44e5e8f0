namespace BioSim.IO.Experiments;

/// <summary>An experiment file that cannot be used: names the file, the JSON path of the field and the fix.</summary>
public sealed class ExperimentException : Exception
{
    /// <summary>A problem with the field at JSON <paramref name="path"/> ("" for the whole file) of <paramref name="file"/>;
    /// <paramref name="problem"/> says what is wrong and what is allowed.</summary>
    public ExperimentException(string file, string path, string problem)
        : base(path.Length == 0 ? $"{file}: {problem}" : $"{file}: {path}: {problem}")
    {
        File = file;
        FieldPath = path;
        Problem = problem;
    }

    /// <summary>An invalid experiment, with no file or path.</summary>
    public ExperimentException() : base("Invalid experiment.") { File = FieldPath = ""; }

    /// <summary>An invalid experiment described by <paramref name="message"/>, with no file or path.</summary>
    public ExperimentException(string message) : base(message) { File = FieldPath = ""; }

    /// <summary>An invalid experiment described by <paramref name="message"/>, caused by <paramref name="inner"/>; no file or path.</summary>
    public ExperimentException(string message, Exception inner) : base(message, inner) { File = FieldPath = ""; }

    /// <summary>The file that cannot be used ("" when not known).</summary>
    public string File { get; }

    /// <summary>The JSON path of the bad field ("" for the whole file or when not known).</summary>
    public string FieldPath { get; }

    /// <summary>What is wrong and what is allowed, without file and path.</summary>
    public string Problem { get; } = "";
}
