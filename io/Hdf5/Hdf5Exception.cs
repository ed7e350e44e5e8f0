namespace BioSim.IO.Hdf5;

/// <summary>An HDF5 call failed. The message names the operation, the object path and the file, plus the
/// innermost message of libhdf5's error stack when there is one.</summary>
public sealed class Hdf5Exception : IOException
{
    /// <summary>A failure described by <paramref name="message"/>, which names the operation, the object and the file.</summary>
    public Hdf5Exception(string message) : base(message) { }

    /// <summary>A failure described by <paramref name="message"/> (operation, object and file), caused by <paramref name="inner"/>.</summary>
    public Hdf5Exception(string message, Exception inner) : base(message, inner) { }

    internal static Hdf5Exception For(string operation, string objectPath, string file)
    {
        string? detail = H5Native.TakeErrorMessage();
        string text = $"HDF5: cannot {operation} '{objectPath}' in '{file}'";
        return new Hdf5Exception(detail is null ? text : $"{text} ({detail})");
    }
}
