using System.Reflection;

namespace BioSim.IO.Runs;

/// <summary>The version of this BioSim build with its commit (the informational version), written into every output file and
/// checkpoint, and checked when a checkpoint is resumed.</summary>
public static class BioSimVersion
{
    /// <summary>"0.1.0+&lt;commit&gt;", or "unknown" when the build carries none.</summary>
    public static string Text { get; } =
        typeof(BioSimVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>Refuses a checkpoint written by another build: only the build that wrote it resumes it bit for bit.</summary>
    /// <param name="path">The checkpoint's file, for the message.</param>
    /// <param name="written">Its @biosim_version, or null for files from before the attribute existed (accepted).</param>
    /// <param name="startOver">How to start over instead ("start it again with biosim run … --force").</param>
    /// <exception cref="InvalidDataException">The versions differ.</exception>
    public static void CheckResumable(string path, string? written, string startOver)
    {
        if (written is null || written == Text) return;
        throw new InvalidDataException($"{path}: the checkpoint was written by BioSim {written}; this is {Text}. Only the build that wrote a checkpoint resumes it bit for bit: resume with that build, or {startOver}");
    }
}
