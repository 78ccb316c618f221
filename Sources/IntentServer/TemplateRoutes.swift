import Foundation
import Hummingbird
import IntentChannels

/// The business's approved WhatsApp templates, for the console's inbox: `GET /v1/templates`
/// (the list, cached 5 minutes) and `POST /v1/conversations/{customer}/template` (send one to a
/// customer, inside the 24-hour window or after it closed).
struct TemplateRoutes {
    let channel: ChannelRuntime?
    let reader: JSONBodyReader

    /// The longest value of a placeholder taken (a template's body is at most 1,024 characters).
    static let maxParameterLength = 1_024
    /// The most values taken (far more than any approved body has placeholders).
    static let maxParameters = 100

    /// `group` is guarded by `RequireRole(.console)`.
    func register(on group: some RouterMethods<IntentRequestContext>) {
        group.get("/v1/templates") { _, _ in
            guard let catalog = channel?.templates else { throw Self.noBusinessAccount(channel) }
            switch await catalog.listing() {
            case .current(let templates, let fetchedAt):
                return try JSONResponse.make(TemplateList(templates, fetchedAt: fetchedAt, error: nil))
            case .stale(let templates, let fetchedAt, let error):
                return try JSONResponse.make(TemplateList(templates, fetchedAt: fetchedAt, error: error))
            case .unavailable(let reason):
                throw Self.unavailable(reason)
            case .notConfigured(let what):
                throw APIError(.notFound, "no_business_account", what)
            }
        }
        group.post("/v1/conversations/:customer/template") { request, context in
            let customer = context.parameters.get("customer") ?? ""
            let body = try await reader.decode(TemplateRequest.self, from: request)
            guard let channel else { throw APIError(.notFound, "no_channel", "the WhatsApp channel is not configured") }
            let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
            let language = body.language.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !name.isEmpty, !language.isEmpty else {
                throw APIError(
                    .badRequest, "unknown_template", "'name' and 'language' must name an approved template; GET /v1/templates lists them")
            }
            let parameters = body.parameters ?? []
            try Self.validate(parameters)
            let agent = context.signature
            switch await channel.sendTemplate(name: name, language: language, parameters: parameters, to: customer, agent: agent) {
            case .queued(let id):
                return try JSONResponse.make(["id": "out:\(id)", "status": "queued"], status: .accepted)
            case .notConfigured(let what):
                throw APIError(.notFound, "no_business_account", what)
            case .unavailable(let reason):
                throw Self.unavailable(reason)
            case .unknownTemplate(let languages) where languages.isEmpty:
                throw APIError(.badRequest, "unknown_template", "no approved template '\(name)'; GET /v1/templates lists them")
            case .unknownTemplate(let languages):
                throw APIError(
                    .badRequest, "unknown_template",
                    "template '\(name)' is approved in \(languages.joined(separator: ", ")), not in '\(language)'")
            case .wrongParameterCount(let expected):
                throw APIError(
                    .badRequest, "template_parameters",
                    "template '\(name)' (\(language)) takes \(expected) parameter\(expected == 1 ? "" : "s") for its body's placeholders, in order; got \(parameters.count)"
                )
            case .unknownCustomer:
                throw APIError(.notFound, "no_conversation", "no conversation with customer '\(customer)'")
            case .storeUnavailable:
                throw APIError(.serviceUnavailable, "store_unavailable", "the conversation store is unavailable; nothing was queued, try again")
            }
        }
    }

    /// Each value must hold text (WhatsApp refuses an empty one) and fit.
    static func validate(_ parameters: [String]) throws {
        guard parameters.count <= maxParameters else {
            throw APIError(.badRequest, "template_parameters", "at most \(maxParameters) parameters are taken")
        }
        for (i, value) in parameters.enumerated() {
            guard !value.allSatisfy(\.isWhitespace) else {
                throw APIError(.badRequest, "template_parameters", "parameter \(i + 1) is empty; WhatsApp refuses an empty value")
            }
            guard value.unicodeScalars.count <= maxParameterLength else {
                throw APIError(.badRequest, "template_parameters", "parameter \(i + 1) is longer than \(maxParameterLength) characters")
            }
        }
    }

    static func noBusinessAccount(_ channel: ChannelRuntime?) -> APIError {
        guard let channel else { return APIError(.notFound, "no_channel", "the WhatsApp channel is not configured") }
        let names = channel.channels.map(\.name).joined(separator: ", ")
        return APIError(.notFound, "no_business_account", "no configured channel (\(names)) sends templates")
    }

    static func unavailable(_ reason: String) -> APIError {
        APIError(
            .serviceUnavailable, "templates_unavailable", "the approved templates could not be fetched from the Graph API (\(reason)); try again")
    }

    struct TemplateRequest: Decodable {
        var name: String
        var language: String
        var parameters: [String]?
    }
}

/// `GET /v1/templates`: the approved templates; `stale` with the refresh's `error` when the Graph
/// API failed since the list was fetched.
struct TemplateList: Encodable {
    struct Template: Encodable {
        struct Button: Encodable {
            var type: String
            var text: String
        }

        var name: String
        var language: String
        var category: String
        var body: String
        var parameters: Int
        var buttons: [Button]?
    }

    var templates: [Template]
    var fetchedAt: String
    var stale: Bool
    var error: String?

    enum CodingKeys: String, CodingKey {
        case templates
        case fetchedAt = "fetched_at"
        case stale, error
    }

    init(_ templates: [MessageTemplate], fetchedAt: Date, error: String?) {
        self.templates = templates.sorted { ($0.name, $0.language) < ($1.name, $1.language) }.map { template in
            Template(
                name: template.name, language: template.language, category: template.category, body: template.body,
                parameters: template.parameters,
                buttons: template.buttons.isEmpty ? nil : template.buttons.map { Template.Button(type: $0.type, text: $0.text) })
        }
        self.fetchedAt = ISO8601DateFormatter().string(from: fetchedAt)
        stale = error != nil
        self.error = error
    }
}
