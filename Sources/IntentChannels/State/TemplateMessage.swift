import Foundation

/// A template message as queued in the outbox (`OutboundDraft.Kind.template`): which approved
/// template, in which language, the values of its body's placeholders, and the text the
/// customer reads, kept for the timeline (the platform's copy of the template may change or go).
package struct TemplateMessage: Sendable, Equatable, Codable {
    package var name: String
    /// The template's language code as the platform names it (`en_US`, `zh_CN`).
    package var language: String
    /// The values of the body's placeholders, in order.
    package var parameters: [String]
    /// For a template with named placeholders (`{{order_id}}`), their names, in `parameters`'
    /// order; nil for numbered ones (`{{1}}`).
    package var parameterNames: [String]?
    /// The body with the parameters filled in; nil when the template's body was not known.
    package var text: String?

    enum CodingKeys: String, CodingKey {
        case name, language, parameters
        case parameterNames = "parameter_names"
        case text
    }

    package init(name: String, language: String, parameters: [String] = [], parameterNames: [String]? = nil, text: String? = nil) {
        self.name = name
        self.language = language
        self.parameters = parameters
        self.parameterNames = parameterNames
        self.text = text
    }

    /// As stored in the outbox's `body`.
    package var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Reads `json` back; nil for a body that is not one.
    package init?(json: String) {
        guard let read = try? JSONDecoder().decode(Self.self, from: Data(json.utf8)) else { return nil }
        self = read
    }

    /// What the timeline shows: the text the customer read, else the template's name.
    package var shownText: String { text ?? "template \(name)" }

    /// The outbox item that sends it.
    package func draft(origin: OutboundDraft.Origin) -> OutboundDraft {
        OutboundDraft(kind: .template, body: json, origin: origin)
    }
}
