using System.Buffers.Binary;
using System.IO.Compression;

namespace BioSim.IO.Datasets;

/// <summary>
/// Reads the IDX format of MNIST and Fashion-MNIST (LeCun et al.; http://yann.lecun.com/exdb/mnist/):
/// two zero bytes, a type byte (0x08 = unsigned byte, the only type these sets use), the number of
/// dimensions, each dimension as a big-endian int32, then the values. Files may be gzip-compressed
/// (recognised by the gzip magic 1f 8b, whatever the name).
/// </summary>
public static class IdxReader
{
    /// <summary>Reads the IDX file at <paramref name="path"/> (gzip-compressed or not); the errors are those of
    /// <see cref="Read(Stream)"/>, an <see cref="InvalidDataException"/>'s message prefixed with the path.</summary>
    public static IdxArray Read(string path)
    {
        using var file = File.OpenRead(path);
        try
        {
            return Read(file);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{path}: {ex.Message}", ex);
        }
    }

    /// <summary>Reads one IDX array from <paramref name="stream"/> (gzip-compressed or not), which is left open. A
    /// malformed header or a truncated body throws <see cref="InvalidDataException"/> saying what is wrong; a header
    /// cut short, <see cref="EndOfStreamException"/>.</summary>
    public static IdxArray Read(Stream stream)
    {
        var buffered = new BufferedStream(stream, 1 << 16);
        Span<byte> magic = stackalloc byte[2];
        int got = buffered.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        if (got < 2) throw new InvalidDataException("not an IDX file: shorter than its 4-byte header");
        Stream body = buffered;
        Span<byte> header = stackalloc byte[4];
        if (magic[0] == 0x1f && magic[1] == 0x8b)
        {
            body = new GZipStream(new PrefixedStream(magic.ToArray(), buffered), CompressionMode.Decompress);
            body.ReadExactly(header);
        }
        else
        {
            magic.CopyTo(header);
            buffered.ReadExactly(header[2..]);
        }
        if (header[0] != 0 || header[1] != 0) throw new InvalidDataException($"not an IDX file: the header starts {header[0]:x2} {header[1]:x2}, expected 00 00");
        if (header[2] != 0x08) throw new InvalidDataException($"IDX value type 0x{header[2]:x2} is not supported (only 0x08, unsigned byte)");
        int dims = header[3];
        if (dims < 1) throw new InvalidDataException("IDX file with zero dimensions");
        var shape = new int[dims];
        Span<byte> dim = stackalloc byte[4];
        long total = 1;
        for (int d = 0; d < dims; d++)
        {
            body.ReadExactly(dim);
            shape[d] = BinaryPrimitives.ReadInt32BigEndian(dim);
            if (shape[d] < 0) throw new InvalidDataException($"IDX dimension {d} is negative ({shape[d]})");
            total *= shape[d];
        }
        if (total > Array.MaxLength) throw new InvalidDataException($"IDX array of {total} values is too large");
        var values = new byte[total];
        try
        {
            body.ReadExactly(values);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"IDX file truncated: the header promises {total} values ({string.Join(" × ", shape)})");
        }
        return new IdxArray(shape, values);
    }

    /// <summary>Gives back the bytes already read to sniff the format, then the rest of the stream.</summary>
    private sealed class PrefixedStream(byte[] prefix, Stream rest) : Stream
    {
        private int _position;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_position < prefix.Length)
            {
                int n = Math.Min(buffer.Length, prefix.Length - _position);
                prefix.AsSpan(_position, n).CopyTo(buffer);
                _position += n;
                return n;
            }
            return rest.Read(buffer);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
