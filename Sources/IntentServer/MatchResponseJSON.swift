import IntentCore

/// `/match` answers written straight to bytes, in the exact form `JSONResponse` (JSONEncoder,
/// sorted keys, unescaped slashes) gives them: the same keys in the same order, numbers and
/// string escapes alike (a test compares the two byte for byte). JSONEncoder spends about
/// 13 µs on one decision; this about 1 µs, on the route the service exists for.
enum MatchResponseJSON {
    static func bytes(_ response: MatchResponse) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1_024)
        write(response, to: &out)
        return out
    }

    static func bytes(_ batch: BatchMatchResponse) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1_024 * batch.results.count)
        out.append(contentsOf: #"{"latency_ms":"#.utf8)
        number(batch.latencyMilliseconds, to: &out)
        out.append(contentsOf: #","request_id":"#.utf8)
        string(batch.requestID, to: &out)
        out.append(contentsOf: #","results":["#.utf8)
        for (i, result) in batch.results.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            write(result, to: &out)
        }
        out.append(contentsOf: "]}".utf8)
        return out
    }

    /// Keys in sorted order: answer, answer_language, candidates, choices, degraded, degraded_reason, id, language, latency_ms,
    /// margin, matched_question, method, out_of_scope, reason, request_id, rule, score, status.
    private static func write(_ response: MatchResponse, to out: inout [UInt8]) {
        let d = response.decision.decision
        out.append(contentsOf: #"{"answer":"#.utf8)
        optional(d.answer, to: &out)
        out.append(contentsOf: #","answer_language":"#.utf8)
        optional(d.answerLanguage, to: &out)
        out.append(contentsOf: #","candidates":["#.utf8)
        for (i, c) in d.candidates.enumerated() {
            out.append(contentsOf: (i > 0 ? #",{"id":"# : #"{"id":"#).utf8)
            string(c.id, to: &out)
            out.append(contentsOf: #","question":"#.utf8)
            string(c.question, to: &out)
            out.append(contentsOf: #","score":"#.utf8)
            number(c.score, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: #"],"choices":["#.utf8)
        for (i, c) in d.choices.enumerated() {
            out.append(contentsOf: (i > 0 ? #",{"id":"# : #"{"id":"#).utf8)
            string(c.id, to: &out)
            out.append(contentsOf: #","question":"#.utf8)
            string(c.question, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: #"],"degraded":"#.utf8)
        out.append(contentsOf: (response.decision.degraded ? "true" : "false").utf8)
        out.append(contentsOf: #","degraded_reason":"#.utf8)
        optional(response.decision.degradedReason, to: &out)
        out.append(contentsOf: #","id":"#.utf8)
        optional(d.id, to: &out)
        out.append(contentsOf: #","language":"#.utf8)
        optional(d.language, to: &out)
        out.append(contentsOf: #","latency_ms":"#.utf8)
        number(response.latencyMilliseconds, to: &out)
        out.append(contentsOf: #","margin":"#.utf8)
        optional(d.margin, to: &out)
        out.append(contentsOf: #","matched_question":"#.utf8)
        optional(d.matchedQuestion, to: &out)
        out.append(contentsOf: #","method":"#.utf8)
        string(d.method.rawValue, to: &out)
        out.append(contentsOf: #","out_of_scope":"#.utf8)
        optional(d.outOfScope, to: &out)
        out.append(contentsOf: #","reason":"#.utf8)
        string(d.reason, to: &out)
        out.append(contentsOf: #","request_id":"#.utf8)
        string(response.requestID, to: &out)
        out.append(contentsOf: #","rule":"#.utf8)
        optional(d.rule, to: &out)
        out.append(contentsOf: #","score":"#.utf8)
        optional(d.score, to: &out)
        out.append(contentsOf: #","status":"#.utf8)
        string(d.status.rawValue, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    private static func optional(_ value: String?, to out: inout [UInt8]) {
        if let value { string(value, to: &out) } else { out.append(contentsOf: "null".utf8) }
    }

    private static func optional(_ value: Double?, to out: inout [UInt8]) {
        if let value { number(value, to: &out) } else { out.append(contentsOf: "null".utf8) }
    }

    /// A JSON string as JSONEncoder writes it: `"` and `\` escaped, \b \f \n \r \t by name, other
    /// control characters as \u00XX, everything else (slashes, non-ASCII) as UTF-8.
    static func string(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { bytes in
            // Runs of bytes that need no escape (nearly all of them) are copied whole.
            var start = 0
            for i in 0..<bytes.count where needsEscape(bytes[i]) {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
                escape(bytes[i], to: &out)
                start = i + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        out.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    private static func escape(_ byte: UInt8, to out: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
        case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
        case 0x08: out.append(contentsOf: #"\b"#.utf8)
        case 0x0C: out.append(contentsOf: #"\f"#.utf8)
        case 0x0A: out.append(contentsOf: #"\n"#.utf8)
        case 0x0D: out.append(contentsOf: #"\r"#.utf8)
        case 0x09: out.append(contentsOf: #"\t"#.utf8)
        default:
            let hex = Array("0123456789abcdef".utf8)
            out.append(contentsOf: #"\u00"#.utf8)
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0xF)])
        }
    }

    /// A finite Double as JSONEncoder writes it: integral values without ".0", others in
    /// Swift's shortest round-tripping form.
    /// JSON has no NaN or infinity: those are written as null (a score that could not be computed).
    static func number(_ value: Double, to out: inout [UInt8]) {
        if !value.isFinite {
            out.append(contentsOf: "null".utf8)
        } else if value == value.rounded(), abs(value) < 1e15 {
            out.append(contentsOf: String(Int64(value)).utf8)
        } else {
            out.append(contentsOf: value.description.utf8)
        }
    }
}
