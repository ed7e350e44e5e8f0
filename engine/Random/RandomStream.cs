using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace BioSim.Engine.Random;

/// <summary>
/// A reproducible random stream keyed by (seed, component, purpose). Draws are a pure function of the
/// key and a 64-bit position (Philox4x32-10), so a stream is saved as its position and resumed bit for
/// bit, and <see cref="ForElement"/> gives element <c>i</c> (a neuron, a row of a connectivity matrix)
/// a stream of its own that does not depend on how elements are split between threads.
/// </summary>
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix",
    Justification = "A random stream is the field's term for a keyed sequence of draws (Random123/Philox, NumPy, cuRAND); it is no System.IO.Stream, and renaming this public type would touch every model that draws.")]
public struct RandomStream
{
    private readonly uint _k0, _k1, _c2, _c3;
    private ulong _position;

    /// <summary>Creates the stream for (seed, component, purpose). Component and purpose are names such as
    /// a population name and "initial-V"; they are hashed (FNV-1a 64) into the key and counter.</summary>
    public RandomStream(ulong seed, string component, string purpose)
    {
        ulong s = Hash(component) ^ Mix(Hash(purpose));
        _k0 = (uint)seed;
        _k1 = (uint)(seed >> 32);
        _c2 = (uint)s;
        _c3 = (uint)(s >> 32);
        _position = 0;
    }

    private RandomStream(uint k0, uint k1, uint c2, uint c3)
    {
        _k0 = k0; _k1 = k1; _c2 = c2; _c3 = c3;
        _position = 0;
    }

    /// <summary>Number of 64-bit words drawn so far: with the key, the whole state of the stream.</summary>
    public ulong Position { readonly get => _position; set => _position = value; }

    /// <summary>An independent stream for element <paramref name="index"/> (e.g. neuron i).</summary>
    public readonly RandomStream ForElement(uint index)
    {
        ulong s = Mix(((ulong)_c3 << 32 | _c2) + 0x9E3779B97F4A7C15UL * (index + 1UL));
        return new RandomStream(_k0, _k1, (uint)s, (uint)(s >> 32));
    }

    /// <summary>Next 64 uniformly distributed bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        ulong p = _position++;
        var (a, b, _, _) = Philox.Block((uint)p, (uint)(p >> 32), _c2, _c3, _k0, _k1);
        return a | ((ulong)b << 32);
    }

    /// <summary>Next 128 uniformly distributed bits as four 32-bit words: the whole Philox block of one position (where
    /// <see cref="NextUInt64"/> keeps half of it), for draws that need many uniforms fast.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public (uint A, uint B, uint C, uint D) NextBlock()
    {
        ulong p = _position++;
        return Philox.Block((uint)p, (uint)(p >> 32), _c2, _c3, _k0, _k1);
    }

    /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n) by Lemire's multiply-and-reject (unbiased).</summary>
    public uint NextUInt32(uint n)
    {
        if (n == 0) throw new ArgumentOutOfRangeException(nameof(n), "n must be positive.");
        uint threshold = (0u - n) % n;
        while (true)
        {
            ulong m = (NextUInt64() >> 32) * n;
            if ((uint)m >= threshold) return (uint)(m >> 32);
        }
    }

    /// <summary>Standard normal deviate (Box-Muller; one of the pair is used so that one draw is one position pair).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>SplitMix64 finaliser: spreads nearby inputs over the whole 64-bit range.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong Hash(string s)
    {
        ulong h = 0xCBF29CE484222325UL;
        foreach (char ch in s)
        {
            h ^= ch;
            h *= 0x100000001B3UL;
        }
        return h;
    }
}
