using BioSim.Workflows;
using NUnit.Framework;

namespace BioSim.Tests.Workflows;

/// <summary>
/// A run's status is a value (<see cref="RunStatus"/>), and its text is exactly what output files held before it was one
/// ("running", "completed", "completed with diverged runs", "cancelled at t = … ms", "diverged: …"): files written
/// before and after read the same.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class RunStatusTests
{
    private static readonly (RunStatus Status, string Text)[] Forms =
    [
        (RunStatus.Running, "running"),
        (RunStatus.Completed, "completed"),
        (RunStatus.CompletedWithDivergedRuns, "completed with diverged runs"),
        (RunStatus.CancelledAt(100), "cancelled at t = 100 ms"),
        (RunStatus.CancelledAt(12.34567), "cancelled at t = 12.346 ms"),
        (RunStatus.DivergedWith("V is NaN in population 'exc' at t = 3.2 ms"), "diverged: V is NaN in population 'exc' at t = 3.2 ms"),
    ];

    /// <summary>Each form gives the text files hold, and reading that text gives the same status back.</summary>
    [Test]
    public void TextIsTheFilesAndReadsBack()
    {
        foreach (var (status, text) in Forms)
        {
            Assert.That(status.ToString(), Is.EqualTo(text));
            Assert.That(RunStatus.Parse(text), Is.EqualTo(status), text);
        }
        Assert.That(RunStatus.Parse("diverged: x").Diverged, Is.True);
        Assert.That(RunStatus.Parse("diverged: x").Detail, Is.EqualTo("x"));
        Assert.That(RunStatus.Parse("cancelled at t = 5 ms").State, Is.EqualTo(RunState.Cancelled));
        Assert.That(RunStatus.Completed.Diverged, Is.False);
    }

    /// <summary>Text that is none of the forms is refused with a message that lists them.</summary>
    [Test]
    public void OtherTextIsRefused()
    {
        foreach (string text in (string[])["", "done", "Completed", "diverged"])
        {
            var e = Assert.Throws<FormatException>(() => RunStatus.Parse(text), text);
            Assert.That(e!.Message, Does.Contain("expected running, completed"));
        }
    }
}
