using System.Reflection;
using System.Xml.Linq;
using NUnit.Framework;

namespace BioSim.Tests.Architecture;

/// <summary>
/// The projects are layered, and every reference points down the chain
/// engine ← circuits ← plasticity ← io ← workflows ← cli (ARCHITECTURE.md): a project may use any project below
/// it, none above it. Checked twice: on the compiled assemblies (what the code uses; the compiler drops a reference
/// nothing uses) and on the project files (what the build allows).
/// </summary>
[TestFixture, Category("Unit")]
public sealed class ProjectReferenceTests
{
    /// <summary>The layers from the bottom: assembly name and project file (from the repository root).</summary>
    private static readonly (string Assembly, string Project)[] Layers =
    [
        ("BioSim.Engine", "engine/BioSim.Engine.csproj"),
        ("BioSim.Circuits", "circuits/BioSim.Circuits.csproj"),
        ("BioSim.Plasticity", "plasticity/BioSim.Plasticity.csproj"),
        ("BioSim.IO", "io/BioSim.IO.csproj"),
        ("BioSim.Workflows", "workflows/BioSim.Workflows.csproj"),
        ("biosim", "cli/BioSim.Cli.csproj"),
    ];

    /// <summary>Each loaded assembly references only assemblies of lower layers (and none of its own layer or above).</summary>
    [Test]
    public void AssembliesReferenceOnlyLayersBelow()
    {
        var references = Layers.ToDictionary(
            l => l.Assembly,
            l => (IReadOnlyList<string>)[.. Assembly.Load(new AssemblyName(l.Assembly)).GetReferencedAssemblies().Select(a => a.Name!)]);
        Assert.That(Upward(references), Is.Empty);
        // The chain is really used: each layer above the engine uses the engine, the CLI uses the workflows.
        Assert.That(Layers.Skip(1).Where(l => !references[l.Assembly].Contains("BioSim.Engine")).Select(l => l.Assembly), Is.Empty);
        Assert.That(references["biosim"], Does.Contain("BioSim.Workflows"));
    }

    /// <summary>Each project file's ProjectReference items name only projects of lower layers.</summary>
    [Test]
    public void ProjectFilesReferenceOnlyLayersBelow()
    {
        var assemblyOfProject = Layers.ToDictionary(l => Path.GetFileName(l.Project), l => l.Assembly);
        var references = Layers.ToDictionary(
            l => l.Assembly,
            l => (IReadOnlyList<string>)[.. XDocument.Load(Path.Combine(TestPaths.Root, l.Project)).Descendants("ProjectReference")
                .Select(r => Path.GetFileName(r.Attribute("Include")!.Value.Replace('\\', '/')))
                .Select(file => assemblyOfProject.GetValueOrDefault(file, file))]);
        Assert.That(Upward(references), Is.Empty);
    }

    /// <summary>
    /// The check itself can fail: an upward reference (circuits using plasticity, io using the workflows, the engine
    /// using the CLI) and a reference within a layer are each reported, by name.
    /// </summary>
    [Test]
    public void AnUpwardReferenceIsReported()
    {
        var references = new Dictionary<string, IReadOnlyList<string>>
        {
            ["BioSim.Engine"] = ["System.Runtime", "biosim"],
            ["BioSim.Circuits"] = ["BioSim.Engine", "BioSim.Plasticity"],
            ["BioSim.Plasticity"] = ["BioSim.Engine", "BioSim.Circuits"],
            ["BioSim.IO"] = ["BioSim.Engine", "BioSim.Workflows", "BioSim.IO"],
            ["BioSim.Workflows"] = ["BioSim.IO", "BioSim.Plasticity", "BioSim.Circuits", "BioSim.Engine"],
            ["biosim"] = ["BioSim.Workflows", "BioSim.Engine", "Microsoft.Extensions.DependencyInjection"],
        };
        Assert.That(Upward(references), Is.EquivalentTo(new[]
        {
            "BioSim.Engine references biosim (a layer above it)",
            "BioSim.Circuits references BioSim.Plasticity (a layer above it)",
            "BioSim.IO references BioSim.Workflows (a layer above it)",
            "BioSim.IO references BioSim.IO (its own layer)",
        }));
    }

    /// <summary>The references of <paramref name="references"/> (layer → the names it references) that do not point down; other names (packages, the runtime) are ignored.</summary>
    private static List<string> Upward(IReadOnlyDictionary<string, IReadOnlyList<string>> references)
    {
        var layerOf = Layers.Select((l, i) => (l.Assembly, i)).ToDictionary(x => x.Assembly, x => x.i);
        var upward = new List<string>();
        foreach (var (from, names) in references)
        {
            foreach (string to in names)
            {
                if (!layerOf.TryGetValue(to, out int target) || target < layerOf[from]) continue;
                upward.Add($"{from} references {to} ({(target == layerOf[from] ? "its own layer" : "a layer above it")})");
            }
        }
        return upward;
    }
}
