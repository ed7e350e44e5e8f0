using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BioSim.Engine.Random;

namespace BioSim.Plasticity.Cores;

/// <summary>
/// The input spikes of a deployment (<see cref="CoreDeployment"/>): value x_p ∈ [0, 1] of pixel p becomes a spike of copy k
/// at sample t with probability T_p / 65535, T_p = round(x_p · 65535): a spike when a 16-bit draw u(seed, k, t, p), uniform on
/// [0, 65535), is below T_p. For 8-bit data (x = n / 255, as Fashion-MNIST) that is x exactly, since 65535 = 255 · 257 and
/// T = 257 · n; for other values it is within 1/131070 of x. The draw is a function of (seed, copy, sample, pixel) only, so
/// the spikes do not depend on threads or on the order in which copies and samples run.
/// <para>
/// <b>Draws.</b> Philox4x32-10 (<see cref="Philox"/>) with key (seed) and counter (8·b + l, t, k, <see cref="Purpose"/>): the
/// four words of that block hold, low half then high half, the draws of pixels 64·b + 16·w + 2·l + h (word w, half h), so
/// eight blocks computed side by side in vector lanes (l = 0 … 7) give 64 consecutive pixels and a vector compare against
/// 16 thresholds at a time gives 16 spike bits. A draw of 65535 is redrawn from the counter (p, t, k, Purpose + r), r = 1, 2, …
/// (the low 16 bits of the first word), which makes u uniform on [0, 65535). Blocks of 64 pixels that are all 0 or all 1
/// need no draw. <see cref="SampleReference"/> is this definition pixel by pixel; <see cref="Sample"/> computes the same
/// bits with AVX-512 or AVX2 (eight or four blocks per vector).
/// </para>
/// </summary>
public static class CoreInputSpikes
{
    /// <summary>The fourth counter word of the input draws ("core").</summary>
    public const uint Purpose = 0x636F7265;

    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /// <summary>The length of a sample's thresholds and the bits of its spikes: the pixels rounded up to whole blocks of 64.</summary>
    public static int PaddedLength(int pixels) => (pixels + 63) / 64 * 64;

    /// <summary>T_p = round(clamp(x_p, 0, 1) · 65535) (to nearest, ties to even, in double precision, where x · 65535 is exact)
    /// for the values of one sample, which must not be NaN; the padding is 0 (never spikes). Eight values at a time with
    /// AVX-512.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Thresholds(ReadOnlySpan<float> values, Span<ushort> thresholds)
    {
        if (thresholds.Length < PaddedLength(values.Length)) throw new ArgumentException($"give {PaddedLength(values.Length)} thresholds", nameof(thresholds));
        thresholds.Clear();
        int p = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var scale = Vector512.Create(65535.0);
            for (; p + 8 <= values.Length; p += 8)
            {
                var x = Avx512F.ConvertToVector512Double(Vector256.Create(values.Slice(p, 8)));
                var t = Vector512.Round(Vector512.Min(Vector512.Max(x, Vector512<double>.Zero), Vector512<double>.One) * scale);
                var n = Avx512F.ConvertToVector256Int32(t);   // whole numbers in [0, 65535]: the low 16 bits are the threshold
                Vector128.Narrow(n.GetLower(), n.GetUpper()).AsUInt16().CopyTo(thresholds.Slice(p, 8));
            }
        }
        for (; p < values.Length; p++) thresholds[p] = (ushort)Math.Round(Math.Clamp((double)values[p], 0.0, 1.0) * 65535.0);
    }

    /// <summary>The definition, pixel by pixel: bit p of <paramref name="spikes"/> (word p / 64) is pixel p's spike in copy
    /// <paramref name="copy"/> at sample <paramref name="sample"/>.</summary>
    public static void SampleReference(ulong seed, uint copy, uint sample, ReadOnlySpan<ushort> thresholds, Span<ulong> spikes)
    {
        Check(thresholds, spikes);
        spikes.Clear();
        for (int p = 0; p < thresholds.Length; p++)
        {
            int b = p / 64, w = p % 64 / 16, l = p % 16 / 2, h = p % 2;
            var (x0, x1, x2, x3) = Philox.Block((uint)(8 * b + l), sample, copy, Purpose, (uint)seed, (uint)(seed >> 32));
            uint word = w switch { 0 => x0, 1 => x1, 2 => x2, _ => x3 };
            uint u = (word >> (16 * h)) & 0xFFFF;
            if (u == 0xFFFF) u = Redraw(seed, copy, sample, p);
            if (u < thresholds[p]) spikes[p / 64] |= 1UL << (p % 64);
        }
    }

    /// <summary>The same bits as <see cref="SampleReference"/>, eight (AVX-512) or four (AVX2) Philox blocks at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from its first call: no tier-0 code, no on-stack replacement
    public static void Sample(ulong seed, uint copy, uint sample, ReadOnlySpan<ushort> thresholds, Span<ulong> spikes)
    {
        Check(thresholds, spikes);
        if (!Avx2.IsSupported)
        {
            SampleReference(seed, copy, sample, thresholds, spikes);
            return;
        }
        ref ushort t0 = ref MemoryMarshal.GetReference(thresholds);
        for (int b = 0; b < thresholds.Length / 64; b++)
        {
            ref ushort t = ref Unsafe.Add(ref t0, 64 * b);
            Vector256<ushort> v0 = Vector256.LoadUnsafe(ref t), v1 = Vector256.LoadUnsafe(ref t, 16),
                v2 = Vector256.LoadUnsafe(ref t, 32), v3 = Vector256.LoadUnsafe(ref t, 48);
            if ((v0 | v1 | v2 | v3) == Vector256<ushort>.Zero)
            {
                spikes[b] = 0;
                continue;
            }
            if ((v0 & v1 & v2 & v3) == Vector256<ushort>.AllBitsSet)
            {
                spikes[b] = ulong.MaxValue;
                continue;
            }
            Vector256<uint> u0, u1, u2, u3;
            if (Avx512F.IsSupported)
            {
                Block8(Vector512.Create(0UL, 1, 2, 3, 4, 5, 6, 7) + Vector512.Create(8UL * (ulong)b), sample, copy, Purpose, (uint)seed, (uint)(seed >> 32),
                    out var x0, out var x1, out var x2, out var x3);
                u0 = Avx512F.ConvertToVector256UInt32(x0);
                u1 = Avx512F.ConvertToVector256UInt32(x1);
                u2 = Avx512F.ConvertToVector256UInt32(x2);
                u3 = Avx512F.ConvertToVector256UInt32(x3);
            }
            else
            {
                Block4(Vector256.Create(0UL, 1, 2, 3) + Vector256.Create(8UL * (ulong)b), sample, copy, (uint)seed, (uint)(seed >> 32),
                    out var a0, out var a1, out var a2, out var a3);
                Block4(Vector256.Create(4UL, 5, 6, 7) + Vector256.Create(8UL * (ulong)b), sample, copy, (uint)seed, (uint)(seed >> 32),
                    out var c0, out var c1, out var c2, out var c3);
                var mask = Vector256.Create(0xFFFFFFFFUL);
                u0 = Vector256.Narrow(a0 & mask, c0 & mask);
                u1 = Vector256.Narrow(a1 & mask, c1 & mask);
                u2 = Vector256.Narrow(a2 & mask, c2 & mask);
                u3 = Vector256.Narrow(a3 & mask, c3 & mask);
            }
            ulong bits = Compare(u0, ref t, 0) | Compare(u1, ref t, 16) << 16 | Compare(u2, ref t, 32) << 32 | Compare(u3, ref t, 48) << 48;
            var all = Vector256<ushort>.AllBitsSet;
            if (Vector256.EqualsAny(u0.AsUInt16(), all) || Vector256.EqualsAny(u1.AsUInt16(), all)
                || Vector256.EqualsAny(u2.AsUInt16(), all) || Vector256.EqualsAny(u3.AsUInt16(), all))
            {
                bits = Redraws(seed, copy, sample, b, [u0, u1, u2, u3], thresholds, bits);
            }
            spikes[b] = bits;
        }
    }

    private static void Check(ReadOnlySpan<ushort> thresholds, Span<ulong> spikes)
    {
        if (thresholds.Length % 64 != 0) throw new ArgumentException("give the thresholds padded to a multiple of 64", nameof(thresholds));
        if (spikes.Length < thresholds.Length / 64) throw new ArgumentException($"give {thresholds.Length / 64} words for the spikes", nameof(spikes));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Compare(Vector256<uint> u, ref ushort t, int offset) =>
        Vector256.LessThan(u.AsUInt16(), Vector256.LoadUnsafe(ref t, (nuint)offset)).ExtractMostSignificantBits();

    /// <summary>Pixels of block <paramref name="b"/> whose draw was 65535 get their redraw (rare: one pixel in 65536).</summary>
    private static ulong Redraws(ulong seed, uint copy, uint sample, int b, ReadOnlySpan<Vector256<uint>> words, ReadOnlySpan<ushort> thresholds, ulong bits)
    {
        for (int w = 0; w < 4; w++)
        {
            for (int k = 0; k < 16; k++)
            {
                if (words[w].AsUInt16()[k] != 0xFFFF) continue;
                int p = 64 * b + 16 * w + k;
                uint u = Redraw(seed, copy, sample, p);
                ulong bit = 1UL << (16 * w + k);
                bits = u < thresholds[p] ? bits | bit : bits & ~bit;
            }
        }
        return bits;
    }

    private static uint Redraw(ulong seed, uint copy, uint sample, int pixel)
    {
        for (uint r = 1; ; r++)
        {
            uint u = Philox.Block((uint)pixel, sample, copy, Purpose + r, (uint)seed, (uint)(seed >> 32)).Item1 & 0xFFFF;
            if (u != 0xFFFF) return u;
        }
    }

    /// <summary>Eight Philox4x32-10 blocks with counters (c0[l], c1, c2, c3) and key (k0, k1), one per 64-bit lane: vpmuludq
    /// multiplies the low 32 bits of each lane, so the high halves may hold garbage until the end (the results are the low
    /// halves).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Block8(Vector512<ulong> c0, uint c1, uint c2, uint c3, uint k0, uint k1,
        out Vector512<ulong> x0, out Vector512<ulong> x1, out Vector512<ulong> x2, out Vector512<ulong> x3)
    {
        var m0 = Vector512.Create((ulong)M0).AsUInt32();
        var m1 = Vector512.Create((ulong)M1).AsUInt32();
        Vector512<ulong> a = c0, b = Vector512.Create((ulong)c1), c = Vector512.Create((ulong)c2), d = Vector512.Create((ulong)c3);
        for (int r = 0; r < 10; r++)
        {
            var p0 = Avx512F.Multiply(a.AsUInt32(), m0);
            var p1 = Avx512F.Multiply(c.AsUInt32(), m1);
            a = (p1 >>> 32) ^ b ^ Vector512.Create((ulong)k0);
            b = p1;
            c = (p0 >>> 32) ^ d ^ Vector512.Create((ulong)k1);
            d = p0;
            k0 += W0;
            k1 += W1;
        }
        (x0, x1, x2, x3) = (a, b, c, d);
    }

    /// <summary><see cref="Block8"/> with AVX2: four blocks per vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4(Vector256<ulong> c0, uint c1, uint c2, uint k0, uint k1,
        out Vector256<ulong> x0, out Vector256<ulong> x1, out Vector256<ulong> x2, out Vector256<ulong> x3)
    {
        var m0 = Vector256.Create((ulong)M0).AsUInt32();
        var m1 = Vector256.Create((ulong)M1).AsUInt32();
        Vector256<ulong> a = c0, b = Vector256.Create((ulong)c1), c = Vector256.Create((ulong)c2), d = Vector256.Create((ulong)Purpose);
        for (int r = 0; r < 10; r++)
        {
            var p0 = Avx2.Multiply(a.AsUInt32(), m0);
            var p1 = Avx2.Multiply(c.AsUInt32(), m1);
            a = (p1 >>> 32) ^ b ^ Vector256.Create((ulong)k0);
            b = p1;
            c = (p0 >>> 32) ^ d ^ Vector256.Create((ulong)k1);
            d = p0;
            k0 += W0;
            k1 += W1;
        }
        (x0, x1, x2, x3) = (a, b, c, d);
    }
}
