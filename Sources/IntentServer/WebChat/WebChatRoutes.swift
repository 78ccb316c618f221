import Foundation
import HTTPTypes
import Hummingbird
import IntentChannels
import IntentCore
import NIOCore

/// The web chat widget's API, per configured site (`WebChatCORS` guards the origins):
/// - `POST /v1/webchat/{site}/messages {"text", "visitor"?, "choice"?}` → 202 `{"visitor",
///   "message_id"}`: stores the visitor's message for the runtime to answer. Without `visitor`
///   a new visitor id is issued.
/// - `GET /v1/webchat/{site}/messages?visitor=ID`: the visitor's conversation, oldest first.
/// - `GET /v1/webchat/{site}/events?visitor=ID` (Server-Sent Events): messages sent to the
///   visitor from now on, or after `Last-Event-ID` (or `after`).
///
/// A visitor id is one the service issued: 128 random bits. The service takes an id only when
/// the store holds that visitor's conversation (their first message is stored before the id is
/// handed out), so ids the server never issued are refused, on every replica and after
/// restarts, without a secret to share or keep; an id whose conversation retention deleted is
/// unknown again, and the widget starts afresh. Guessing a live id is guessing 128 random bits.
struct WebChatRoutes {
    let runtime: ChannelRuntime
    let channel: WebChatChannel
    let hub: EventHub
    let reader: JSONBodyReader
    let limits: ServerLimits
    let visitorBuckets: TokenBuckets
    let addressBuckets: TokenBuckets
    let readBuckets: TokenBuckets
    /// A stream that should end and whose last write is stuck is closed after this.
    var closeAfter: TimeAmount = .seconds(5)

    /// The most messages `GET .../messages` returns (the newest).
    static let shownMessages = 100

    init(runtime: ChannelRuntime, channel: WebChatChannel, hub: EventHub, reader: JSONBodyReader, limits: ServerLimits) {
        self.runtime = runtime
        self.channel = channel
        self.hub = hub
        self.reader = reader
        self.limits = limits
        let rates = channel.settings.limits
        visitorBuckets = TokenBuckets(burst: rates.visitorBurst, interval: rates.visitorInterval)
        addressBuckets = TokenBuckets(burst: rates.addressBurst, interval: rates.addressInterval)
        readBuckets = TokenBuckets(burst: rates.readBurst, interval: rates.readInterval)
    }

    func register(on router: Router<IntentRequestContext>) {
        let group = router.group("/v1/webchat").add(middleware: WebChatCORS(settings: channel.settings))
        group.on(":site/messages", method: .options) { _, _ in Response(status: .noContent) }
        group.on(":site/events", method: .options) { _, _ in Response(status: .noContent) }
        group.post(":site/messages") { request, context in try await post(request, context) }
        group.get(":site/messages") { request, context in try await messages(request, context) }
        group.get(":site/events") { request, context in try await events(request, context) }
    }

    // MARK: Posting

    private func post(_ request: Request, _ context: IntentRequestContext) async throws -> Response {
        let site = context.parameters.get("site") ?? ""
        try limit(addressBuckets, address(of: request, context), "messages from your network address")
        let body = try await reader.decode(WebChatJSON.Post.self, from: request)
        var text = body.text
        var replyTo: Int64?
        let visitor: String
        if let given = body.visitor {
            visitor = try wellFormed(given)
            try limit(visitorBuckets, site + ":" + visitor, "your messages")
            let recent = try await shown(site: site, visitor: visitor, limit: 30)
            if let choice = body.choice {
                guard let offer = Self.offer(of: choice, in: recent) else {
                    throw APIError(.badRequest, "unknown_choice", "'choice' is not a button this conversation offered")
                }
                text = offer.title
                replyTo = offer.item
            }
        } else {
            guard body.choice == nil else {
                throw APIError(.badRequest, "unknown_choice", "'choice' is not a button this conversation offered (a new visitor has none)")
            }
            visitor = WebChatVisitor.issue()
        }
        guard let text else { throw APIError(.badRequest, "missing_field", "the field 'text' is required (or 'choice', a button's id)") }
        try reader.validate(message: text, field: "text")
        let message = channel.message(site: site, visitor: visitor, text: text, choice: body.choice, replyToItem: replyTo, at: Date())
        switch await runtime.receive(InboundBatch(messages: [message]), on: channel) {
        case .accepted:
            return try JSONResponse.make(WebChatJSON.Posted(visitor: visitor, messageID: "in:" + message.id), status: .accepted)
        case .unavailable(let reason):
            var error = APIError(.serviceUnavailable, "store_unavailable", reason + "; send it again later")
            error.headers[.retryAfter] = "30"
            throw error
        case .unsigned(let reason), .forged(let reason), .malformed(let reason):
            throw APIError(.badRequest, "invalid_message", reason)
        }
    }

    /// The button `choice` names among the recent messages offered, and the item that offered it.
    private static func offer(of choice: String, in items: [TimelineItem]) -> (title: String, item: Int64)? {
        for item in items where item.direction == .outbound {
            guard let number = WebChatJSON.itemNumber(item.id), let option = item.options.first(where: { $0.id == choice }) else { continue }
            return (option.title, number)
        }
        return nil
    }

    // MARK: Reading

    private func messages(_ request: Request, _ context: IntentRequestContext) async throws -> Response {
        let site = context.parameters.get("site") ?? ""
        try limit(readBuckets, address(of: request, context), "reads from your network address")
        let visitor = try wellFormed(try visitorParameter(request))
        let items = try await shown(site: site, visitor: visitor, limit: Self.shownMessages)
        var response = try JSONResponse.make(WebChatJSON.Messages(messages: items.reversed().compactMap(WebChatJSON.Message.init)))
        response.headers[.cacheControl] = "no-store"
        return response
    }

    private func events(_ request: Request, _ context: IntentRequestContext) async throws -> Response {
        let site = context.parameters.get("site") ?? ""
        try limit(readBuckets, address(of: request, context), "reads from your network address")
        let visitor = try wellFormed(try visitorParameter(request))
        let recent = try await shown(site: site, visitor: visitor, limit: 50)
        let resume = request.headers[EventRoutes.lastEventID] ?? request.uri.queryParameters.get("after")
        // Without a place to resume from, the stream starts after the newest message sent.
        let after = resume.flatMap(WebChatJSON.itemNumber) ?? (resume == nil ? Self.newestSent(in: recent) : 0)
        let stream = WebChatStream(
            runtime: runtime, hub: hub, customer: WebChatVisitor.identity(site: site, visitor: visitor).key, after: after,
            closeAfter: closeAfter)
        let connection = context.connection
        return Response(
            status: .ok, headers: EventRoutes.headers,
            body: ResponseBody { writer in try await stream.run(to: &writer, connection: connection) })
    }

    private static func newestSent(in items: [TimelineItem]) -> Int64 {
        items.compactMap { WebChatJSON.Message($0) != nil ? WebChatJSON.itemNumber($0.id) : nil }.max() ?? 0
    }

    // MARK: Visitors

    private func visitorParameter(_ request: Request) throws -> String {
        guard let visitor = request.uri.queryParameters.get("visitor") else {
            throw APIError(.badRequest, "missing_visitor", "the query parameter 'visitor' is required (the id the first message got)")
        }
        return visitor
    }

    private func wellFormed(_ visitor: String) throws -> String {
        guard WebChatVisitor.isWellFormed(visitor) else {
            throw APIError(.badRequest, "invalid_visitor", "'visitor' is an id the service issued: 32 lower-case hex digits")
        }
        return visitor
    }

    /// The visitor's newest timeline items; an unknown visitor (never issued, or deleted) is a 404.
    private func shown(site: String, visitor: String, limit: Int) async throws -> [TimelineItem] {
        let customer = WebChatVisitor.identity(site: site, visitor: visitor).key
        let items: [TimelineItem]
        do {
            items = try await runtime.timeline(customer: customer, before: nil, limit: limit)
        } catch {
            var error = APIError(.serviceUnavailable, "store_unavailable", "the conversation store is unavailable; try again later")
            error.headers[.retryAfter] = "30"
            throw error
        }
        guard !items.isEmpty else {
            throw APIError(.notFound, "unknown_visitor", "no conversation with this visitor: start a new one by posting without 'visitor'")
        }
        return items
    }

    // MARK: Limits

    private func limit(_ buckets: TokenBuckets, _ key: String, _ what: String) throws {
        guard let wait = buckets.take(key) else { return }
        let seconds = max(1, Int(wait.rounded(.up)))
        var error = APIError(.tooManyRequests, "rate_limited", "too many \(what); try again in \(seconds) s")
        error.headers[.retryAfter] = "\(seconds)"
        throw error
    }

    /// The client's address: the connection's peer, or behind a trusted reverse proxy the last
    /// address of `X-Forwarded-For` (the one the proxy added; earlier ones are the client's word).
    private func address(of request: Request, _ context: IntentRequestContext) -> String {
        if channel.settings.trustForwardedFor, let forwarded = request.headers[Self.forwardedFor],
            let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !last.isEmpty
        {
            return last
        }
        return context.connection.remoteAddress?.ipAddress ?? "unknown"
    }

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
}
