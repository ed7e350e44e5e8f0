namespace BioSim.IO.Hdf5;

/// <summary>An HDF5 call failed. The message names the operation, the object path and the file, plus the
/// innermost message of libhdf5's error stack when there is one.</summary>
public sealed class Hdf5Exception : IOException
{
    /// <summary>A failure described by <paramref name="message"/>, which names the operation, the object and the file.</summary>
    public Hdf5Exception(string message) : base(message) { }

    /// <summary>A failure described by <paramref name="message"/> (operation, object and file), caused by <paramref name="inner"/>.</summary>
    public Hdf5Exception(string message, Exception inner) : base(message, inner) { }

    /// <summary>A failure to create or open the file itself, with libhdf5's innermost message turned into the cause and
    /// its fix ("not an HDF5 file", "truncated", "a directory", "permission denied", …; h5py names the same causes).</summary>
    internal static Hdf5Exception ForFile(string operation, string file) => ForFile(operation, file, H5Native.TakeErrorMessage());

    /// <summary>As <see cref="ForFile(string, string)"/> with libhdf5's innermost message already taken.</summary>
    internal static Hdf5Exception ForFile(string operation, string file, string? detail) =>
        new($"HDF5: cannot {operation} '{file}': {Cause(detail)}");

    /// <summary>The cause in words for libhdf5's innermost message <paramref name="detail"/> of a file operation.</summary>
    internal static string Cause(string? detail)
    {
        if (detail is null) return "libhdf5 gave no reason";
        string d = detail[(detail.IndexOf(": ", StringComparison.Ordinal) is int i and >= 0 && !detail[..i].Contains(' ', StringComparison.Ordinal) ? i + 2 : 0)..];
        if (d.Contains("file signature not found", StringComparison.Ordinal))
            return "not an HDF5 file (no HDF5 file signature); give a file that BioSim, h5py or another HDF5 program wrote";
        var truncated = System.Text.RegularExpressions.Regex.Match(d, @"truncated file: eof = (\d+).*stored_eof = (\d+)");
        if (truncated.Success)
            return $"the file is truncated: it ends at byte {truncated.Groups[1].Value} but its header records {truncated.Groups[2].Value} bytes (a copy or transfer that did not finish, or a full disk); use the original or a complete copy";
        if (d.Contains("errno = 21", StringComparison.Ordinal) || d.Contains("Is a directory", StringComparison.Ordinal))
            return "it is a directory; give the path of a file";
        if (d.Contains("errno = 13", StringComparison.Ordinal) || d.Contains("Permission denied", StringComparison.Ordinal))
            return "permission denied; check the permissions of the file and its folder, or choose another path";
        if (d.Contains("errno = 30", StringComparison.Ordinal) || d.Contains("Read-only file system", StringComparison.Ordinal))
            return "the file system is read-only; choose a writable path";
        if (d.Contains("errno = 28", StringComparison.Ordinal) || d.Contains("No space left", StringComparison.Ordinal))
            return "no space left on the device; free some or choose another path";
        if (d.Contains("errno = 2,", StringComparison.Ordinal) || d.Contains("No such file or directory", StringComparison.Ordinal))
            return "its folder does not exist; create it or choose another path";
        if (d.Contains("unable to lock file", StringComparison.Ordinal))
            return "another process has it open for writing (HDF5 file locking); wait for it to finish, or stop it";
        return detail;
    }

    internal static Hdf5Exception For(string operation, string objectPath, string file)
    {
        string? detail = H5Native.TakeErrorMessage();
        string text = $"HDF5: cannot {operation} '{objectPath}' in '{file}'";
        return new Hdf5Exception(detail is null ? text : $"{text} ({detail})");
    }
}
