import Foundation
import HTTPTypes
import Hummingbird
import IntentCore
import Logging

/// The HTTP service: routes over a `MatcherHolder`.
///
/// Routes: `POST /match`, `POST /match/batch`, `GET /healthz`, `GET /readyz`.
/// Matching runs in the request's task on Swift concurrency's pool, never on
/// the NIO event loops, so a slow decision does not stall other connections.
public struct IntentServerApp {
    public var host: String
    public var port: Int
    public var limits: ServerLimits
    public let holder: MatcherHolder
    public var logger: Logger

    public init(host: String = "127.0.0.1", port: Int = 8080, holder: MatcherHolder, limits: ServerLimits = ServerLimits(), logger: Logger = Logger(label: "intent-service")) {
        self.host = host
        self.port = port
        self.holder = holder
        self.limits = limits
        self.logger = logger
    }

    static let allowedMethods: [String: [HTTPRequest.Method]] = [
        "/match": [.post], "/match/batch": [.post], "/healthz": [.get, .head], "/readyz": [.get, .head],
    ]

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: APIErrorMiddleware(allowedMethods: Self.allowedMethods))
        let reader = JSONBodyReader(limits: limits)
        let holder = self.holder

        router.get("/healthz") { _, _ in
            try Self.json(["status": "ok"])
        }
        router.get("/readyz") { _, _ in
            guard let matcher = holder.matcher else {
                var response = try Self.json(["status": "loading"])
                response.status = .serviceUnavailable
                return response
            }
            return try Self.json([
                "status": "ready", "corpus_version": matcher.corpus.version, "corpus_source": matcher.corpus.source,
                "entries": "\(matcher.corpus.entries.count)", "embedder": matcher.embedder.id,
            ])
        }
        router.post("/match") { request, _ in
            let started = DispatchTime.now().uptimeNanoseconds
            let body = try await reader.decode(MatchRequest.self, from: request)
            try reader.validate(message: body.message, field: "message")
            try reader.validate(topK: body.topK)
            let matcher = try Self.ready(holder)
            let decision = try await matcher.match(body.message, topK: body.topK)
            return try Self.json(
                MatchResponse(
                    decision: decision, requestID: Self.requestID(request), latencyMilliseconds: Self.elapsed(since: started)))
        }
        router.post("/match/batch") { request, _ in
            let started = DispatchTime.now().uptimeNanoseconds
            let body = try await reader.decode(BatchMatchRequest.self, from: request)
            guard !body.messages.isEmpty, body.messages.count <= reader.limits.maxBatchMessages else {
                throw APIError(
                    .badRequest, "batch_size", "'messages' must hold 1 to \(reader.limits.maxBatchMessages) messages")
            }
            for (i, message) in body.messages.enumerated() { try reader.validate(message: message, field: "messages[\(i)]") }
            try reader.validate(topK: body.topK)
            let matcher = try Self.ready(holder)
            let decisions = try await matcher.match(body.messages, topK: body.topK)
            let id = Self.requestID(request)
            let latency = Self.elapsed(since: started)
            return try Self.json(
                BatchMatchResponse(
                    results: decisions.map { MatchResponse(decision: $0, requestID: id, latencyMilliseconds: latency) },
                    requestID: id, latencyMilliseconds: latency))
        }
        return router
    }

    public func application() -> some ApplicationProtocol {
        Application(
            router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "intent-service"),
            logger: logger)
    }

    static func ready(_ holder: MatcherHolder) throws -> Matcher {
        guard let matcher = holder.matcher else {
            throw APIError(.serviceUnavailable, "not_ready", "the corpus is still loading; retry shortly")
        }
        return matcher
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func json<T: Encodable>(_ value: T) throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    /// The caller's `X-Request-Id` when it sends a sane one, else a new id.
    static func requestID(_ request: Request) -> String {
        if let given = request.headers[HTTPField.Name("X-Request-Id")!], given.count <= 64,
            given.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        {
            return given
        }
        return UUID().uuidString.lowercased()
    }

    static func elapsed(since start: UInt64) -> Double {
        (Double(DispatchTime.now().uptimeNanoseconds - start) / 10_000).rounded() / 100
    }
}
