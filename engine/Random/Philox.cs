using System.Runtime.CompilerServices;

namespace BioSim.Engine.Random;

/// <summary>
/// Philox4x32-10 counter-based generator (Salmon, Moraes, Dror &amp; Shaw, SC 2011).
/// A random number is a pure function of (key, counter): a stream keyed by (seed, component, purpose)
/// gives the same numbers whatever the thread count or evaluation order.
/// </summary>
public static class Philox
{
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /// <summary>Computes the 4×32-bit block for the 128-bit counter (c0..c3) and 64-bit key (k0, k1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (uint, uint, uint, uint) Block(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (int r = 0; r < 10; r++)
        {
            ulong p0 = (ulong)M0 * c0;
            ulong p1 = (ulong)M1 * c2;
            uint n0 = (uint)(p1 >> 32) ^ c1 ^ k0;
            uint n1 = (uint)p1;
            uint n2 = (uint)(p0 >> 32) ^ c3 ^ k1;
            uint n3 = (uint)p0;
            c0 = n0; c1 = n1; c2 = n2; c3 = n3;
            k0 += W0; k1 += W1;
        }
        return (c0, c1, c2, c3);
    }
}
