using BioSim.Circuits.Cells;
using BioSim.Circuits.Mechanisms;
using BioSim.Circuits.Morphology;
using BioSim.Engine.Simulation;
using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;
using NUnit.Framework;

namespace BioSim.Tests.IO;

[TestFixture, Category("Unit")]
public sealed class CompartmentReportTests
{
    /// <summary>
    /// Every recorded value read back from the file equals the potential the population held after that step
    /// (sampled in memory at the same steps); the mapping names each cell as a node with one column per
    /// segment and the segment's section index as element id.
    /// </summary>
    [Test]
    public void RecordsEverySegmentOfEveryCellAsASonataReport()
    {
        var m = new Morphology();
        m.AddCylinder("soma", 20, 20, nseg: 1);
        m.AddCylinder("dend", 300, 2, "soma", 1, nseg: 5);
        var cell = new CableCell(m);
        cell.Insert(new HhMechanism(), "soma");
        cell.Insert(new PassiveLeak { e = -65 }, "dend");
        cell.Place("stim", new CurrentClamp { del = 0.5, dur = 5, amp = 0.2 }, "soma");
        var population = new CablePopulation("cells", 2, cell);
        string path = Path.Combine(Path.GetTempPath(), $"biosim-compartments-{Guid.NewGuid():N}.h5");
        var expected = new List<double>();
        try
        {
            using (var file = Hdf5File.Create(path))
            using (var writer = new SonataReportWriter(file))
            {
                var sim = new Simulator([population], [], 0.025);
                var report = new CompartmentReport(writer, population, 0.025, everySteps: 4);
                sim.AddObserver(report);
                Assert.That(report.Nodes, Has.Count.EqualTo(6));
                for (int n = 1; n <= 200; n++)
                {
                    sim.Step();
                    if (n % 4 != 0) continue;
                    for (int c = 0; c < 2; c++) foreach (int node in report.Nodes) expected.Add(population.V(c, node));
                }
                writer.Flush();
            }
            using var read = Hdf5File.OpenReadOnly(path);
            var r = SonataFileReader.ReadReports(read).Single();
            Assert.That(r.Population, Is.EqualTo("cells"));
            Assert.That(r.Frames, Is.EqualTo(50));
            Assert.That(r.Elements, Is.EqualTo(12));
            Assert.That(r.DtMs, Is.EqualTo(0.1).Within(1e-12));
            Assert.That(r.StartMs, Is.EqualTo(0.1).Within(1e-12));
            Assert.That(r.Data, Is.EqualTo(expected.ToArray()));
            Assert.That(read.ReadDataset<ulong>("/report/cells/mapping/index_pointers"), Is.EqualTo(new ulong[] { 0, 6, 12 }));
            Assert.That(read.ReadDataset<uint>("/report/cells/mapping/element_ids"), Is.EqualTo(new uint[] { 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1 }));
            Assert.That(r.Data.Max(), Is.GreaterThan(0), "the soma spiked within the recording");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
