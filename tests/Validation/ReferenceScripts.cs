using System.Text.Json;
using BioSim.Tests.IO;
using NUnit.Framework;

namespace BioSim.Tests.Validation;

/// <summary>
/// Reruns a generator under tests/reference with Debian's /usr/bin/python3 (the interpreter that sees python3-brian,
/// python3-neuron and python3-torch; .ci/setup installs them) and compares what it writes with the committed file
/// under tests/data. A missing interpreter or module fails the test, naming the package.
/// </summary>
internal static class ReferenceScripts
{
    private static readonly (string Module, string Package)[] Packages =
        [("brian2", "python3-brian"), ("neuron", "python3-neuron"), ("torch", "python3-torch"), ("numpy", "python3-numpy")];

    /// <summary>Runs tests/reference/<paramref name="script"/> with <paramref name="arguments"/> and "-o" a temporary
    /// file, and returns the JSON it wrote.</summary>
    public static JsonDocument Regenerate(string script, params string[] arguments)
    {
        if (!File.Exists(ExternalTools.Python))
            Assert.Fail($"{ExternalTools.Python} is missing; install the Debian package python3 (.ci/setup does)");
        string output = Path.Combine(Path.GetTempPath(), $"biosim-{Path.GetFileNameWithoutExtension(script)}-{Guid.NewGuid():N}.json");
        try
        {
            var (code, stdout, stderr) = ExternalTools.Run(ExternalTools.Python,
                [Path.Combine(TestPaths.Root, "tests", "reference", script), .. arguments, "-o", output]);
            TestContext.Out.WriteLine($"{script} {string.Join(' ', arguments)}: {stdout.Trim()}");
            if (code != 0)
            {
                string hint = string.Concat(Packages.Where(p => stderr.Contains($"No module named '{p.Module}'", StringComparison.Ordinal))
                    .Select(p => $" (install the Debian package {p.Package}; .ci/setup does)"));
                Assert.Fail($"{script} exited with {code}{hint}:\n{stderr}");
            }
            return JsonDocument.Parse(File.ReadAllText(output));
        }
        finally
        {
            File.Delete(output);
        }
    }

    /// <summary>The committed tests/data/<paramref name="name"/>.</summary>
    public static JsonDocument Committed(string name) => JsonDocument.Parse(File.ReadAllText(TestPaths.Data(name)));

    /// <summary>Largest |a − b| over two arrays of numbers, the fresh one possibly a leading part of the committed one
    /// (a shortened run); fails when the fresh one is longer.</summary>
    public static double WorstDifference(JsonElement committed, JsonElement fresh, string what, bool prefix = false)
    {
        double[] a = [.. committed.EnumerateArray().Select(x => x.GetDouble())], b = [.. fresh.EnumerateArray().Select(x => x.GetDouble())];
        if (prefix) Assert.That(b, Has.Length.LessThanOrEqualTo(a.Length), $"{what}: the slice is longer than the committed run");
        else Assert.That(b, Has.Length.EqualTo(a.Length), $"{what}: length");
        double worst = 0;
        for (int i = 0; i < b.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        return worst;
    }

    /// <summary>Asserts that two JSON values are equal except for numbers, which may differ by
    /// <paramref name="tolerance"/>(path, committed) in absolute value, and for the properties named in
    /// <paramref name="skip"/> (versions, dates, command lines). Returns the largest relative difference of a
    /// number, |a − b| / max(|a|, |b|), and where it is.</summary>
    public static (double Relative, string Where) AssertSame(JsonElement committed, JsonElement fresh, Func<string, double, double> tolerance, ISet<string> skip, string path = "$")
    {
        if (fresh.ValueKind != committed.ValueKind) Assert.Fail($"{path}: committed {committed.ValueKind}, regenerated {fresh.ValueKind}");
        (double, string) worst = (0, "");
        switch (committed.ValueKind)
        {
            case JsonValueKind.Object:
                var keys = committed.EnumerateObject().Select(p => p.Name).Where(k => !skip.Contains(k)).ToList();
                Assert.That(fresh.EnumerateObject().Select(p => p.Name).Where(k => !skip.Contains(k)), Is.EquivalentTo(keys), $"{path}: properties");
                foreach (string k in keys) worst = Max(worst, AssertSame(committed.GetProperty(k), fresh.GetProperty(k), tolerance, skip, $"{path}.{k}"));
                break;
            case JsonValueKind.Array:
                if (fresh.GetArrayLength() != committed.GetArrayLength())
                    Assert.Fail($"{path}: {committed.GetArrayLength()} entries committed, {fresh.GetArrayLength()} regenerated");
                int i = 0;
                foreach (var (c, f) in committed.EnumerateArray().Zip(fresh.EnumerateArray())) worst = Max(worst, AssertSame(c, f, tolerance, skip, $"{path}[{i++}]"));
                break;
            case JsonValueKind.Number:
                double a = committed.GetDouble(), b = fresh.GetDouble(), diff = Math.Abs(a - b);
                if (!(diff <= tolerance(path, a))) Assert.Fail($"{path}: committed {a:R}, regenerated {b:R} (difference {diff:E2} > {tolerance(path, a):E2})");
                return diff == 0 ? (0, path) : (diff / Math.Max(Math.Abs(a), Math.Abs(b)), path);
            default:
                if (fresh.GetRawText() != committed.GetRawText()) Assert.Fail($"{path}: committed {committed.GetRawText()}, regenerated {fresh.GetRawText()}");
                break;
        }
        return worst;
    }

    private static (double, string) Max((double, string) a, (double, string) b) => b.Item1 > a.Item1 ? b : a;
}
