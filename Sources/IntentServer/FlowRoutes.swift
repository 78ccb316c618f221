import Foundation
import Hummingbird
import IntentChannels

/// The conversation flows of the channel: `GET /v1/flows` (each flow's figures, per step) and
/// `POST /v1/flows/{id}/start` (start a flow for a customer, within their 24-hour window).
struct FlowRoutes {
    let channel: ChannelRuntime?
    let reader: JSONBodyReader

    /// Figures on `readers` (the `/v1/stats` readers); starting a flow on `console`.
    func register(readers: some RouterMethods<IntentRequestContext>, console: some RouterMethods<IntentRequestContext>) {
        readers.get("/v1/flows") { _, _ in
            guard let channel else { return try JSONResponse.make(FlowList(enabled: false, flows: [])) }
            return try JSONResponse.make(FlowList(enabled: true, flows: FlowFigures.of(channel.flows.current.set.flows, in: channel.statistics)))
        }
        console.post("/v1/flows/:id/start") { request, context in
            let id = context.parameters.get("id") ?? ""
            let body = try await reader.decode(StartRequest.self, from: request)
            let customer = body.customer.trimmingCharacters(in: .whitespaces)
            guard !customer.isEmpty else { throw APIError(.badRequest, "invalid_customer", "'customer' must name the customer (their wa_id)") }
            guard let channel else { throw APIError(.notFound, "no_channel", "the WhatsApp channel is not configured") }
            switch await channel.startFlow(id, customer: customer) {
            case .started:
                return try JSONResponse.make(["status": "started", "flow": id, "customer": customer], status: .accepted)
            case .unknownFlow:
                throw APIError(.notFound, "unknown_flow", "no flow '\(id)' in the flow file; GET /v1/flows lists them")
            case .unknownCustomer:
                throw APIError(.notFound, "no_conversation", "customer '\(customer)' has never written to the business")
            case .windowClosed(let since):
                throw APIError(
                    .conflict, "window_closed",
                    "the customer's 24-hour window closed at \(ISO8601DateFormatter().string(from: since)); only a template message can reach them now"
                )
            case .running(let flow) where flow == "handover":
                throw APIError(.conflict, "handed_over", "a person has this conversation; give it back to the bot first")
            case .running(let flow):
                throw APIError(
                    .conflict, "flow_running", "the customer is inside the flow '\(flow)'; it ends first, unless this flow says interrupts: true")
            case .storeUnavailable:
                throw APIError(.serviceUnavailable, "store_unavailable", "the conversation store is unavailable; try again")
            }
        }
    }

    struct StartRequest: Decodable {
        var customer: String
    }
}

struct FlowList: Encodable {
    var enabled: Bool
    var flows: [FlowFigures]
}
