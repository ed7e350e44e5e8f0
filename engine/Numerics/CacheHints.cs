using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace BioSim.Engine.Numerics;

/// <summary>
/// Asks the processor for cache lines the caller is about to read (SSE's prefetch; no effect where SSE is not supported).
/// A hint: it reads nothing, cannot fault, and changes no result. Used where the next access is known but not in cache: a
/// spike's synapse row, scattered per-neuron records, the streams of a vector loop.
/// </summary>
public static class CacheHints
{
    /// <summary>Bytes per cache line.</summary>
    public const int LineBytes = 64;

    /// <summary>The line of <paramref name="array"/>[<paramref name="index"/>]; an index outside the array asks for nothing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Line<T>(T[] array, int index) where T : unmanaged
    {
        if (!Sse.IsSupported || (uint)index >= (uint)array.Length) return;
        fixed (T* p = &array[index]) Sse.Prefetch0(p);
    }

    /// <summary>Every line of <paramref name="array"/>[<paramref name="start"/>..<paramref name="end"/>), the last one included.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Range<T>(T[] array, int start, int end) where T : unmanaged
    {
        if (!Sse.IsSupported || start >= end || start < 0 || end > array.Length) return;
        fixed (T* first = &array[0])
        {
            for (int j = start; j < end; j += LineBytes / sizeof(T)) Sse.Prefetch0(first + j);
            Sse.Prefetch0(first + end - 1);
        }
    }

    /// <summary>The line <paramref name="bytes"/> past <paramref name="first"/>[<paramref name="i"/>], an element the caller is about
    /// to read (so the reference is in bounds; the address ahead is only a raw pointer, which may lie past the array's end).
    /// Only for callers that checked <see cref="Sse.IsSupported"/> (a vector loop checks once, not per element).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Ahead(ref double first, nuint i, int bytes) =>
        Sse.Prefetch0((byte*)Unsafe.AsPointer(ref Unsafe.Add(ref first, i)) + bytes);
}
