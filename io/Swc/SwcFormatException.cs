namespace BioSim.IO.Swc;

/// <summary>An SWC file that cannot be used: names the file and the line (1-based; 0 when the problem is the whole file).</summary>
public sealed class SwcFormatException : Exception
{
    public SwcFormatException(string file, int line, string problem)
        : base(line > 0 ? $"{file}:{line}: {problem}" : $"{file}: {problem}")
    {
        File = file;
        Line = line;
    }

    public SwcFormatException() : base("Invalid SWC file.") { File = ""; }

    public SwcFormatException(string message) : base(message) { File = ""; }

    public SwcFormatException(string message, Exception inner) : base(message, inner) { File = ""; }

    public string File { get; }

    public int Line { get; }
}
