import HTTPTypes
import Hummingbird
import IntentChannels

/// `GET /webhooks/whatsapp` (Meta's subscription handshake) and `POST /webhooks/whatsapp`
/// (signed deliveries). Registered only when the channel is configured.
struct WhatsAppRoutes {
    let runtime: ChannelRuntime
    let whatsapp: WhatsAppChannel
    let limits: ServerLimits
    /// Meta batches several messages in one delivery, each up to 4,096 characters escaped as
    /// \uXXXX (six bytes each): far more than a `/match` body, and refusing one would make
    /// Meta redeliver it for days.
    static let maxBodyBytes = 4 * 1024 * 1024

    func register(on router: Router<IntentRequestContext>) {
        router.get("/webhooks/whatsapp") { request, _ in
            let query = request.uri.queryParameters
            guard
                let challenge = whatsapp.verify(
                    mode: query.get("hub.mode"), token: query.get("hub.verify_token"), challenge: query.get("hub.challenge"))
            else {
                throw APIError(.forbidden, "verification_failed", "hub.mode must be subscribe and hub.verify_token must match whatsapp_verify_token")
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: challenge)))
        }
        router.post("/webhooks/whatsapp") { request, _ in
            let body = try await BodyCollector.collect(request, limit: Self.maxBodyBytes, timeout: limits.bodyTimeout, what: "webhook body")
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            switch await runtime.receive(body: Array(buffer: body), headers: headers) {
            case .accepted:
                return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "ok")))
            case .unsigned:
                throw APIError(.unauthorized, "signature_missing", "X-Hub-Signature-256 is missing; Meta signs every webhook with the app secret")
            case .forged:
                throw APIError(.forbidden, "signature_invalid", "X-Hub-Signature-256 does not match the body under whatsapp_app_secret")
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
