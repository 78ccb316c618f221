import IntentServer

/// `POST /match` and `POST /match/batch` bodies, decoded and validated as the routes do.
enum ServerTargets {
    static let reader = JSONBodyReader(limits: ServerLimits())

    static let all: [FuzzTarget] = [
        FuzzTarget(name: "match-body") { bytes in
            if let request = try? reader.decode(MatchRequest.self, bytes: bytes) {
                try? reader.validate(message: request.message, field: "message")
                try? reader.validate(topK: request.topK)
            }
            if let batch = try? reader.decode(BatchMatchRequest.self, bytes: bytes) {
                for message in batch.messages { try? reader.validate(message: message, field: "messages") }
            }
        }
    ]
}
