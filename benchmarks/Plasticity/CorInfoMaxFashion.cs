using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using BioSim.Engine.Numerics;
using BioSim.IO.Datasets;
using BioSim.Plasticity.Data;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Rules;
using BioSim.Plasticity.Training;

namespace BioSim.Benchmarks.Plasticity;

/// <summary>
/// Question: what test accuracy and time per epoch does correlative infomax reach on Fashion-MNIST in the official
/// setting of Bozkurt, Pehlevan &amp; Erdogan (2023) (Supervised-CorInfoMax, Simulations/Classification/CorInfoMax/
/// CorInfoMax_FashionMNIST_Simulation_V1.py, first setting: 784-500-10, batch 20, η_ff (0.3, 0.22), η_fb 0.07,
/// decayed per epoch by 0.95^e (e &lt; 20), 0.9^e (e &lt; 25), 0.8^e after; neural step 0.07/(1 + 0.01k), 30 free and 10
/// nudged iterations, random-sign β = 1, ε 0.15, λ 0.99999, g 0.3; Xavier-uniform forward weights, no biases)?
/// The paper reports 88.14 ± 0.28 % test accuracy after 50 epochs (10 seeds). Prediction is the 30-iteration free
/// phase, as in the code's evaluation. Run: <c>dotnet run -c Release --project benchmarks -- corinfomax-fashion [epochs] [seed] [training samples] [test samples]</c>.
/// </summary>
internal static class CorInfoMaxFashion
{
    public static void Run(int epochs, ulong seed, int samples, int tests)
    {
        var (fullTrain, fullTest) = FashionMnist.Load();
        var test = tests >= fullTest.Count ? fullTest
            : new Dataset($"fashion-mnist test[0:{tests}]", 784, fullTest.Inputs[..(tests * 784)], fullTest.Labels![..tests], 10);
        var train = samples >= fullTrain.Count ? fullTrain
            : new Dataset($"fashion-mnist train[0:{samples}]", 784, fullTrain.Inputs[..(samples * 784)], fullTrain.Labels![..samples], 10);
        var product = MatrixProducts.CreateDefault();
        Console.WriteLine($"correlative-infomax, Fashion-MNIST 784-500-10, {train.Count} training and {test.Count} test samples, batch 20, seed {seed}");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, kernel {product.Name}, OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "(unset)"}");
        var clock = Stopwatch.StartNew();
        var net = new Network(784, [new LayerSpec(500, new UnitClip(), Bias: false), new LayerSpec(10, new UnitClip(), Bias: false)], product);
        foreach (var layer in net.Layers)
        {
            double a = Math.Sqrt(6.0 / (layer.Inputs + layer.Outputs));
            net.Initialise(layer, new BioSim.Engine.Random.UniformDistribution(-a, a), seed);
        }
        var rule = new CorrelativeInfomax { ForwardRates = [0.3, 0.22], FeedbackRates = [0.07] };
        rule.Prepare(net, seed);
        var sgd = new SgdMomentum(1.0);
        sgd.Prepare(net);
        var trainer = new Trainer(net, rule, sgd, new MeanSquaredError(), 20);
        Console.WriteLine($"construction {clock.Elapsed.TotalSeconds:F1} s");
        double trainTotal = 0;
        // The one training loop: rule.RateScale = 0.95^e (e < 20), 0.9^e (e < 25), 0.8^e from the schedule, the data order
        // of epoch e from (seed, e), evaluation on the test set after every epoch (timed apart from training).
        var evaluation = new Stopwatch();
        clock.Restart();
        trainer.Train(train, null, new TrainingOptions
        {
            Epochs = epochs,
            BatchSize = 20,
            Seed = seed,
            Schedule = LearningRateSchedule.CorInfoMaxFashion,
            Evaluate = false,
            EpochCompleted = result =>
            {
                double trainSeconds = clock.Elapsed.TotalSeconds;
                trainTotal += trainSeconds;
                evaluation.Restart();
                var (_, accuracy) = trainer.Evaluate(test, 1000);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"epoch {result.Epoch}: rate scale {rule.RateScale:F4}, test accuracy {accuracy:F4}, train {trainSeconds:F1} s, evaluation {evaluation.Elapsed.TotalSeconds:F1} s"));
                clock.Restart();
            },
        });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"mean training time per epoch {trainTotal / epochs:F1} s"));
    }
}
