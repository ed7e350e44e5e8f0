namespace BioSim.Tests;

/// <summary>Locations of repository files from the test binary.</summary>
internal static class TestPaths
{
    /// <summary>The repository root (the folder holding BioSim.sln).</summary>
    public static string Root { get; } = FindRoot();

    public static string Example(string name) => Path.Combine(Root, "examples", name);

    public static string Data(string name) => Path.Combine(Root, "tests", "data", name);

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "BioSim.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("BioSim.sln not found above " + AppContext.BaseDirectory);
    }
}
