namespace BioSim.IO.Swc;

/// <summary>An SWC file that cannot be used: names the file and the line (1-based; 0 when the problem is the whole file).</summary>
public sealed class SwcFormatException : Exception
{
    /// <param name="file">The file's path or name, as the caller gave it.</param>
    /// <param name="line">The offending line, 1-based; 0 when the problem is the whole file.</param>
    /// <param name="problem">What is wrong, e.g. "point 7: parent 12 does not exist".</param>
    public SwcFormatException(string file, int line, string problem)
        : base(line > 0 ? $"{file}:{line}: {problem}" : $"{file}: {problem}")
    {
        File = file;
        Line = line;
    }

    /// <summary>An invalid SWC file that is not named: <see cref="File"/> is empty and <see cref="Line"/> 0.</summary>
    public SwcFormatException() : base("Invalid SWC file.") { File = ""; }

    /// <summary>A problem described by <paramref name="message"/> alone: <see cref="File"/> is empty and <see cref="Line"/> 0.</summary>
    public SwcFormatException(string message) : base(message) { File = ""; }

    /// <summary>A problem described by <paramref name="message"/>, caused by <paramref name="inner"/>: <see cref="File"/>
    /// is empty and <see cref="Line"/> 0.</summary>
    public SwcFormatException(string message, Exception inner) : base(message, inner) { File = ""; }

    /// <summary>The file's path or name ("" when not known).</summary>
    public string File { get; }

    /// <summary>The offending line, 1-based; 0 when the problem is the whole file or not known.</summary>
    public int Line { get; }
}
