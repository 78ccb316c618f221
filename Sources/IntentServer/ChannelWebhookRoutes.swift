import HTTPTypes
import Hummingbird
import IntentChannels

/// `GET /webhooks/<channel>` (the platform's subscription handshake, where it has one) and
/// `POST /webhooks/<channel>` (its signed deliveries), for every `ChatChannel` the runtime runs:
/// the channel reads and checks, the runtime stores, these routes only speak HTTP.
struct ChannelWebhookRoutes {
    let runtime: ChannelRuntime
    let limits: ServerLimits

    static func path(of channel: any ChatChannel) -> String { "/webhooks/" + channel.name }

    func register(on router: Router<IntentRequestContext>) {
        for channel in runtime.channels where channel.hasWebhook { register(channel, on: router) }
    }

    private func register(_ channel: any ChatChannel, on router: Router<IntentRequestContext>) {
        let runtime = self.runtime
        let path = RouterPath(Self.path(of: channel))
        router.get(path) { request, _ in
            var query: [String: String] = [:]
            // The first of repeated parameters counts, as `queryParameters.get` reads them.
            for (name, value) in request.uri.queryParameters where query[String(name)] == nil { query[String(name)] = String(value) }
            switch channel.answerHandshake(query: query) {
            case .echo(let challenge):
                return Response(
                    status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: challenge)))
            case .refused(let reason):
                throw APIError(.forbidden, "verification_failed", reason)
            case .unsupported:
                throw APIError(.methodNotAllowed, "method_not_allowed", "\(channel.name) has no subscription handshake; it POSTs its webhooks")
            }
        }
        router.post(path) { request, _ in
            let body = try await BodyCollector.collect(request, limit: channel.maxWebhookBytes, timeout: limits.bodyTimeout, what: "webhook body")
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            switch await runtime.receive(on: channel, body: Array(buffer: body), headers: headers) {
            case .accepted:
                return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "ok")))
            case .unsigned(let reason):
                throw APIError(.unauthorized, "signature_missing", reason)
            case .forged(let reason):
                throw APIError(.forbidden, "signature_invalid", reason)
            case .malformed(let reason):
                throw APIError(.badRequest, "invalid_webhook", reason)
            case .unavailable(let reason):
                var error = APIError(.serviceUnavailable, "store_unavailable", reason + "; deliver again later")
                error.headers[.retryAfter] = "30"
                throw error
            }
        }
    }
}
