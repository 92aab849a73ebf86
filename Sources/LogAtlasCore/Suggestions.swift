/// Closest valid codes for a mistyped one, for "did you mean" messages.
public enum Suggestions {
    /// Up to `limit` candidates ordered by edit distance, keeping only plausible ones.
    public static func closest(to value: String, among candidates: [String], limit: Int = 3) -> [String] {
        let lowered = value.lowercased()
        let scored = candidates.map { candidate in
            (candidate: candidate, distance: editDistance(lowered, candidate),
             isAffix: !lowered.isEmpty && (candidate.hasPrefix(lowered) || candidate.hasSuffix(lowered)))
        }
        let best = scored.map(\.distance).min() ?? 0
        // The nearest candidates (if near at all), and any that start or end with what was typed.
        return scored
            .filter { $0.isAffix || ($0.distance == best && best <= max(3, lowered.count / 2)) }
            .sorted { ($0.isAffix ? 0 : 1, $0.distance, $0.candidate) < ($1.isAffix ? 0 : 1, $1.distance, $1.candidate) }
            .prefix(limit)
            .map(\.candidate)
    }

    /// Levenshtein distance between two strings.
    public static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let a = Array(lhs), b = Array(rhs)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
