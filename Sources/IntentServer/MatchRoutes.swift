import Dispatch
import Hummingbird
import IntentCore
import Logging

/// `POST /match` and `POST /match/batch`.
struct MatchRoutes {
    let holder: ServiceHolder
    let reader: JSONBodyReader
    let recorder: DecisionRecorder
    var metrics: ServiceMetrics { recorder.metrics }

    func register(on router: Router<IntentRequestContext>) {
        router.post("/match") { request, context in
            let started = DispatchTime.now().uptimeNanoseconds
            let body = try await reader.decode(MatchRequest.self, from: request)
            try reader.validate(message: body.message, field: "message")
            try reader.validate(topK: body.topK)
            try reader.validate(language: body.language)
            let service = try ready()
            var decision = await service.match(body.message, topK: body.topK)
            if let language = body.language { decision.decision.answer(in: language, from: service.corpus) }
            observe(body.message, decision, customer: body.customerID, context: context)
            let elapsed = DispatchTime.now().uptimeNanoseconds - started
            metrics.matchDuration(nanoseconds: Int64(elapsed))
            return JSONResponse.make(
                bytes: MatchResponseJSON.bytes(
                    MatchResponse(decision: decision, requestID: context.requestID, latencyMilliseconds: milliseconds(elapsed))))
        }
        router.post("/match/batch") { request, context in
            let started = DispatchTime.now().uptimeNanoseconds
            let body = try await reader.decode(BatchMatchRequest.self, from: request)
            let limit = reader.limits.maxBatchMessages
            guard !body.messages.isEmpty, body.messages.count <= limit else {
                throw APIError(.badRequest, "batch_size", "'messages' must hold 1 to \(limit) messages")
            }
            for (i, message) in body.messages.enumerated() {
                try reader.validate(message: message, field: "messages[\(i)]")
            }
            try reader.validate(topK: body.topK)
            let service = try ready()
            let decisions = await service.match(body.messages, topK: body.topK)
            for (message, decision) in zip(body.messages, decisions) { observe(message, decision, context: context) }
            let latency = milliseconds(DispatchTime.now().uptimeNanoseconds - started)
            return JSONResponse.make(
                bytes: MatchResponseJSON.bytes(
                    BatchMatchResponse(
                        results: decisions.map {
                            MatchResponse(decision: $0, requestID: context.requestID, latencyMilliseconds: latency)
                        },
                        requestID: context.requestID, latencyMilliseconds: latency)))
        }
    }

    private func ready() throws -> MatchService {
        guard let service = holder.service else {
            throw APIError(.serviceUnavailable, "not_ready", "the corpus is still loading; retry shortly")
        }
        return service
    }

    private func observe(_ message: String, _ served: ServiceDecision, customer: String? = nil, context: IntentRequestContext) {
        let decision = served.decision
        recorder.record(message, customer: customer, served)
        // Customer messages are personal data: only at debug level.
        context.logger.debug(
            "decision",
            metadata: [
                "message": "\(message)", "status": "\(decision.status.rawValue)", "id": "\(decision.id ?? "-")",
                "score": "\(decision.score.map { "\($0)" } ?? "-")",
            ])
    }

    private func milliseconds(_ nanoseconds: UInt64) -> Double {
        (Double(nanoseconds) / 10_000).rounded() / 100
    }
}
