import IntentCore

/// A decision as `/match` answers it: the fields of `intent-service match --json`
/// (decision, `degraded`, `degraded_reason`) plus `request_id` and `latency_ms`.
struct MatchResponse: Encodable {
    var decision: ServiceDecision
    var requestID: String
    var latencyMilliseconds: Double

    enum ExtraKeys: String, CodingKey {
        case requestID = "request_id"
        case latencyMilliseconds = "latency_ms"
    }

    func encode(to encoder: Encoder) throws {
        try decision.encode(to: encoder)
        var extra = encoder.container(keyedBy: ExtraKeys.self)
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
