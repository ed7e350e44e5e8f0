using System.Reflection;
using System.Runtime.CompilerServices;

namespace BioSim.Engine.Simulation;

/// <summary>
/// A population, transmitter or observer that can have the methods its steps call compiled before the first step.
/// </summary>
/// <remarks>
/// The JIT compiles a method at its first call, on the calling thread. A simulation's step methods are first called
/// inside the run, so without preparation a short run spends part of its simulated time waiting for the compiler:
/// 40 methods at the start of a CUBA run, the step's vector loops among them (fully optimised from the first call), about a
/// third of a 1 s, 4 000-neuron run's simulation time on machine B. <see cref="CodePreparation.Start"/> compiles them on a
/// worker thread while the network is still being built. Compiled code computes what the first call would have: the
/// results do not depend on it.
/// </remarks>
public interface IPreparesCode
{
    /// <summary>Compiles the methods the steps of this object will call, in <paramref name="timing"/> (each
    /// <see cref="CodePreparation.PrepareGeneric"/>); a method already compiled is not compiled again.</summary>
    void PrepareCode(SpikeTiming timing);
}

/// <summary>Compiles named methods ahead of their first call (<see cref="RuntimeHelpers.PrepareMethod(RuntimeMethodHandle)"/>).</summary>
public static class CodePreparation
{
    private const BindingFlags Declared = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic
        | BindingFlags.DeclaredOnly;

    /// <summary>
    /// Compiles every method named <paramref name="name"/> that <paramref name="owner"/> declares: the generic ones instantiated
    /// with <paramref name="typeArguments"/>, or the non-generic ones when there are none. A name that matches nothing is an
    /// error (a renamed method must not silently lose its preparation; the tests call every preparation).
    /// </summary>
    public static void PrepareGeneric(Type owner, string name, params Type[] typeArguments)
    {
        bool found = false;
        foreach (var method in owner.GetMethods(Declared))
        {
            if (method.Name != name || method.IsAbstract) continue;
            if (method.IsGenericMethodDefinition != (typeArguments.Length > 0)) continue;
            var compiled = method.IsGenericMethodDefinition ? method.MakeGenericMethod(typeArguments) : method;
            RuntimeHelpers.PrepareMethod(compiled.MethodHandle);
            found = true;
        }
        if (!found) throw new MissingMethodException(owner.FullName, name + (typeArguments.Length > 0 ? $"<{typeArguments.Length} type arguments>" : ""));
    }

    /// <summary>Compiles each of <paramref name="names"/> of <paramref name="owner"/> (non-generic).</summary>
    public static void Prepare(Type owner, params string[] names)
    {
        foreach (string name in names) PrepareGeneric(owner, name);
    }

    /// <summary>
    /// Runs <paramref name="preparation"/> on a thread-pool thread and returns at once. A failure there costs only the time
    /// it would have saved (the methods compile at their first call as usual), so it is not raised into the run; the
    /// returned task carries it for tests.
    /// </summary>
    public static Task Start(Action preparation) => Task.Run(preparation);
}
