import Foundation
import Hummingbird
package import IntentChannels
import IntentCore

/// What the console's flow editing needs from the service, which this module does not know:
/// the flow document in service, the check a loaded flow file goes through (the corpus's keyword
/// rules, the URL settings), and the store the documents are saved in.
package struct FlowDocuments: Sendable {
    /// Checks a document's text as the flow file is checked; throws `FlowFile.Invalid` with every problem.
    package typealias Check = @Sendable (_ text: String) async throws -> FlowSet
    /// Opens the flow edit store; without `creating`, nil while none exists.
    package typealias OpenStore = @Sendable (_ creating: Bool) async throws -> (any FlowEditStore)?

    package var inService: @Sendable () -> FlowDocument
    package var check: Check
    package var open: OpenStore

    package init(inService: @escaping @Sendable () -> FlowDocument, check: @escaping Check, open: @escaping OpenStore) {
        self.inService = inService
        self.check = check
        self.open = open
    }
}

/// The console's flow builder: `GET /v1/flows/document` (the flow document in service, as its
/// text and as JSON), `POST /v1/flows/validate` (the problems a document has, as the file's
/// would be reported) and `PUT /v1/flows/document` (checked, stored as a numbered edit with who
/// and when, and served by a reload before the reply).
struct FlowEditRoutes {
    let documents: FlowDocuments
    let holder: ServiceHolder
    let reloader: CorpusReloader
    let health: StoreHealth
    let reader: JSONBodyReader

    /// The file name problems are reported under: the document is the flow file's text.
    static let fileName = "flows.yaml"

    /// The document on `console` (viewers read it); validating and saving on `editors` (admins:
    /// the flows are theirs to manage).
    func register(on console: some RouterMethods<IntentRequestContext>, editors: some RouterMethods<IntentRequestContext>) {
        console.get("/v1/flows/document") { _, _ in
            let document = documents.inService()
            let json = (try? FlowFile.json(document.text)) ?? "{}"
            return try JSONResponse.make(
                DocumentResponse(text: document.text, json: json, source: document.source.rawValue, edit: document.edit.map(EditJSON.init)))
        }
        editors.post("/v1/flows/validate") { request, _ in
            let body = try await reader.decode(ValidateRequest.self, from: request)
            do {
                let set = try await documents.check(body.text)
                return try JSONResponse.make(ValidateResponse(valid: true, problems: [], flows: set.flows.map(\.id), warnings: set.warnings))
            } catch let error as FlowFile.Invalid {
                return try JSONResponse.make(ValidateResponse(valid: false, problems: error.problems, flows: [], warnings: []))
            }
        }
        editors.put("/v1/flows/document") { request, context in
            let body = try await reader.decode(SaveRequest.self, from: request)
            let by = context.signature(naming: body.by?.trimmingCharacters(in: .whitespacesAndNewlines))
            if by.isEmpty { throw APIError(.badRequest, "invalid_edit", "by: empty: name who makes the edit") }
            if by.unicodeScalars.count > 100 { throw APIError(.badRequest, "invalid_edit", "by: longer than 100 characters") }
            return try JSONResponse.make(try await save(body.text, by: by))
        }
    }

    private func save(_ text: String, by: String) async throws -> SaveResponse {
        guard holder.service != nil else {
            throw APIError(.serviceUnavailable, "not_ready", "the corpus is still loading; retry shortly")
        }
        let set: FlowSet
        do {
            set = try await documents.check(text)
        } catch let error as FlowFile.Invalid {
            throw APIError(
                .unprocessableContent, "invalid_flows", "the flow document has \(error.problems.count) problem(s); nothing was stored",
                issues: error.problems)
        }
        if let problem = health.problem, health.refusesWork {
            throw APIError(.serviceUnavailable, "store_unavailable", "\(problem.reason); the flows were not stored")
        }
        let stored: StoredFlows
        do {
            guard let store = try await documents.open(true) else {
                throw APIError(.serviceUnavailable, "no_state_store", "no state store to keep the flows in")
            }
            if let lost = try await (store as? any ConversationStore)?.lostReason() {
                health.lost(lost)
                throw APIError(.serviceUnavailable, "store_unavailable", "\(lost); the flows were not stored")
            }
            stored = try await store.saveFlows(text: text, by: by, at: Date())
            health.succeeded()
        } catch let error as APIError {
            throw error
        } catch {
            health.failed("storing the console's flows", error: error)
            throw APIError(
                .serviceUnavailable, "store_unavailable",
                "the state store cannot be written, so the flows were not stored; retry when /readyz reports the store ok")
        }
        do {
            _ = try await reloader.reload()
        } catch {
            throw APIError(
                .serviceUnavailable, "reload_failed",
                "flows edit \(stored.number) is stored and applies at the next successful reload; this reload failed: \(clientDescription(of: error))"
            )
        }
        return SaveResponse(edit: EditJSON(stored), flows: set.flows.map(\.id), warnings: set.warnings)
    }

    struct ValidateRequest: Decodable {
        var text: String
    }

    struct SaveRequest: Decodable {
        var text: String
        var by: String?
    }

    struct EditJSON: Encodable {
        var number: Int
        var by: String
        var at: String

        init(_ stored: StoredFlows) {
            number = stored.number
            by = stored.by
            at = ISO8601DateFormatter().string(from: stored.at)
        }
    }

    struct DocumentResponse: Encodable {
        var text: String
        /// The document as JSON text (keys in the order written), for the console's builder.
        var json: String
        var source: String
        var edit: EditJSON?
    }

    struct ValidateResponse: Encodable {
        var valid: Bool
        var problems: [String]
        var flows: [String]
        var warnings: [String]
    }

    struct SaveResponse: Encodable {
        var edit: EditJSON
        var flows: [String]
        var warnings: [String]
    }
}
