import Foundation
import Hummingbird
import IntentChannels
import IntentCore

/// `GET /console` (the web console: one self-contained page, see `ConsolePage`) and the
/// channel's data it shows: conversations, and giving a handed-over one back to the bot.
/// (The review queue and corpus edits: `ReviewRoutes`; the corpus: `CorpusRoutes`.)
/// The page itself holds nothing private; every call it makes carries the console (or admin)
/// token the user signed in with.
struct ConsoleRoutes {
    let holder: ServiceHolder
    let stats: StatsRecorder
    let channel: ChannelRuntime?

    /// The page on `router`; its data on `api`, guarded by `RequireRole(.console)`.
    func register(on router: some RouterMethods<IntentRequestContext>, api: some RouterMethods<IntentRequestContext>) {
        router.get("/console") { _, _ in
            var headers: HTTPFields = [.contentType: "text/html; charset=utf-8"]
            // Nothing from elsewhere: no CDN, no inline script from anyone but this page.
            headers[.contentSecurityPolicy] =
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: ConsolePage.html)))
        }
        api.post("/v1/conversations/:customer/unmute") { _, context in
            let customer = context.parameters.get("customer") ?? ""
            guard let channel else { throw APIError(.notFound, "no_channel", "the WhatsApp channel is not configured") }
            guard try await channel.unmute(customer: customer) else {
                throw APIError(.notFound, "no_conversation", "no conversation with customer '\(customer)'")
            }
            return try JSONResponse.make(["status": "bot", "customer": customer])
        }
    }
}
