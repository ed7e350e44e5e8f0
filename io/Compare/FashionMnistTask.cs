using BioSim.IO.Datasets;
using BioSim.Plasticity.Data;

namespace BioSim.IO.Compare;

/// <summary>Fashion-MNIST from its IDX files (optionally the first samples of each split); a missing data set says how to install it.</summary>
public sealed class FashionMnistTask : ITask
{
    /// <inheritdoc/>
    public (Dataset Train, Dataset Test) Load(TaskSpec task)
    {
        ArgumentNullException.ThrowIfNull(task);
        var (train, test) = FashionMnist.Load(task.Directory);
        return (DatasetRows.First(train, task.TrainSamples), DatasetRows.First(test, task.TestSamples));
    }
}
