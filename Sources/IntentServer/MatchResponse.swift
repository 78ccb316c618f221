import IntentCore

/// A decision as `/match` answers it: the fields of `intent-service match --json`
/// plus `degraded`, `degraded_reason`, `request_id` and `latency_ms`.
struct MatchResponse: Encodable {
    var decision: MatchDecision
    var degraded = false
    var degradedReason: String? = nil
    var requestID: String
    var latencyMilliseconds: Double

    enum ExtraKeys: String, CodingKey {
        case degraded
        case degradedReason = "degraded_reason"
        case requestID = "request_id"
        case latencyMilliseconds = "latency_ms"
    }

    func encode(to encoder: Encoder) throws {
        try decision.encode(to: encoder)
        var extra = encoder.container(keyedBy: ExtraKeys.self)
        try extra.encode(degraded, forKey: .degraded)
        try extra.encode(degradedReason, forKey: .degradedReason)
        try extra.encode(requestID, forKey: .requestID)
        try extra.encode(latencyMilliseconds, forKey: .latencyMilliseconds)
    }
}

struct BatchMatchResponse: Encodable {
    var results: [MatchResponse]
    var requestID: String
    var latencyMilliseconds: Double

    enum CodingKeys: String, CodingKey {
        case results
        case requestID = "request_id"
        case latencyMilliseconds = "latency_ms"
    }
}
