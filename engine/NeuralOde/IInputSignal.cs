namespace BioSim.Engine.NeuralOde;

/// <summary>External input u(t) of a rate circuit (<c>BioSim.Circuits.Neurons.RateCircuit.RateCircuitField</c>).</summary>
public interface IInputSignal
{
    /// <summary>Number of input channels m.</summary>
    int Count { get; }

    /// <summary>Writes u(t) (length <see cref="Count"/>) without allocating.</summary>
    void Value(double t, Span<double> u);
}
