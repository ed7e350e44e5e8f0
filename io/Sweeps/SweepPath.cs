using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace BioSim.IO.Sweeps;

/// <summary>
/// A path into a JSON file as a sweep names it: object keys joined by dots and array indices in brackets, as
/// <c>projections[2].weight</c>, <c>populations[0].parameters.tau_m</c> or <c>training.learning_rate</c> (a leading
/// <c>$.</c> is allowed and dropped). It names one existing field of the base file; <see cref="Set"/> replaces its value.
/// </summary>
public sealed class SweepPath
{
    private readonly object[] _segments;

    private SweepPath(string text, object[] segments)
    {
        Text = text;
        _segments = segments;
    }

    /// <summary>The path in its canonical form (no <c>$.</c>), as tables and folders name the parameter.</summary>
    public string Text { get; }

    /// <inheritdoc/>
    public override string ToString() => Text;

    /// <summary>Parses <paramref name="text"/>.</summary>
    /// <exception cref="FormatException">Not a path of keys and [index]es; the message says what is wrong.</exception>
    public static SweepPath Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string s = text.StartsWith("$.", StringComparison.Ordinal) ? text[2..] : text;
        var segments = new List<object>();
        var canonical = new StringBuilder();
        int i = 0;
        while (i < s.Length)
        {
            if (s[i] == '[')
            {
                int close = s.IndexOf(']', i);
                if (close < 0 || !int.TryParse(s.AsSpan(i + 1, close - i - 1), NumberStyles.None, CultureInfo.InvariantCulture, out int index))
                    throw new FormatException($"'{text}': expected an array index [n] (n = 0, 1, …) at character {i + 1}");
                segments.Add(index);
                canonical.Append(CultureInfo.InvariantCulture, $"[{index}]");
                i = close + 1;
                if (i < s.Length && s[i] == '.') i++;
                else if (i < s.Length && s[i] != '[') throw new FormatException($"'{text}': expected '.' or '[' after ']' at character {i + 1}");
                continue;
            }
            int end = i;
            while (end < s.Length && s[end] != '.' && s[end] != '[') end++;
            if (end == i) throw new FormatException($"'{text}': empty key at character {i + 1}");
            string key = s[i..end];
            segments.Add(key);
            if (canonical.Length > 0) canonical.Append('.');
            canonical.Append(key);
            i = end;
            if (i < s.Length && s[i] == '.')
            {
                i++;
                if (i == s.Length) throw new FormatException($"'{text}': ends with '.'");
            }
        }
        if (segments.Count == 0) throw new FormatException("the path is empty; give one like projections[2].weight");
        return new SweepPath(canonical.ToString(), [.. segments]);
    }

    /// <summary>The value at this path in <paramref name="root"/>, or null with <paramref name="problem"/> saying where the
    /// path leaves the file (the part that exists and what is there instead).</summary>
    public JsonNode? Find(JsonNode root, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(root);
        JsonNode? node = root;
        string at = "the file's root";
        for (int k = 0; k < _segments.Length; k++)
        {
            object segment = _segments[k];
            switch (segment, node)
            {
                case (string key, JsonObject obj):
                    if (!obj.TryGetPropertyValue(key, out JsonNode? next))
                    {
                        problem = $"{at} has no field '{key}' (it has: {string.Join(", ", obj.Select(p => p.Key))})";
                        return null;
                    }
                    node = next;
                    at = $"'{Prefix(k)}'";
                    break;
                case (int index, JsonArray array):
                    if (index >= array.Count)
                    {
                        problem = $"{at} has {array.Count} elements, so there is no [{index}]";
                        return null;
                    }
                    node = array[index];
                    at = $"'{Prefix(k)}'";
                    break;
                default:
                    problem = segment is int
                        ? $"{at} is {Kind(node)}, not an array, so [{segment}] does not apply"
                        : $"{at} is {Kind(node)}, not an object, so .{segment} does not apply";
                    return null;
            }
            if (node is null)
            {
                problem = $"{at} is null";
                return null;
            }
        }
        problem = null;
        return node;
    }

    /// <summary>Whether this path's last step is a key that <paramref name="root"/> lacks in an object that exists: an optional
    /// field the base file leaves at its default, which <see cref="Set"/> can add (the base file's reader then judges the key).</summary>
    public bool IsAbsentKeyOfExistingObject(JsonNode root)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (_segments[^1] is not string last) return false;
        var parentPath = new SweepPath(Text, _segments[..^1]);
        JsonNode? parent = _segments.Length == 1 ? root : parentPath.Find(root, out _);
        return parent is JsonObject obj && !obj.ContainsKey(last);
    }

    /// <summary>Replaces the value at this path (whose parent must exist, see <see cref="Find"/>) by a copy of <paramref name="value"/>.</summary>
    /// <exception cref="InvalidOperationException">The path does not exist in <paramref name="root"/>.</exception>
    public void Set(JsonNode root, JsonNode? value)
    {
        ArgumentNullException.ThrowIfNull(root);
        JsonNode parent = root;
        for (int k = 0; k < _segments.Length - 1; k++)
        {
            parent = (_segments[k] is string key ? parent[key] : parent[(int)_segments[k]])
                ?? throw new InvalidOperationException($"{Text} is not in the file");
        }
        JsonNode? copy = value?.DeepClone();
        if (_segments[^1] is string last) parent.AsObject()[last] = copy;
        else parent.AsArray()[(int)_segments[^1]] = copy;
    }

    private string Prefix(int last)
    {
        var b = new StringBuilder();
        for (int k = 0; k <= last; k++)
        {
            if (_segments[k] is int i) b.Append(CultureInfo.InvariantCulture, $"[{i}]");
            else b.Append(b.Length > 0 ? "." : "").Append((string)_segments[k]);
        }
        return b.ToString();
    }

    /// <summary>The JSON kind of a value for messages: "a number", "a string", "an object", …</summary>
    public static string Kind(JsonNode? node) => node?.GetValueKind() switch
    {
        null or System.Text.Json.JsonValueKind.Null => "null",
        System.Text.Json.JsonValueKind.Object => "an object",
        System.Text.Json.JsonValueKind.Array => "an array",
        System.Text.Json.JsonValueKind.String => "a string",
        System.Text.Json.JsonValueKind.Number => "a number",
        _ => "a boolean",
    };
}
