import Foundation
package import IntentHTTP

/// The WhatsApp Business Account's message templates:
/// `GET {graph}/{waba_id}/message_templates` (the list, a page at a time) and the `template`
/// object of a send.
extension GraphAPI {
    /// The most templates a page asks for.
    static let templatesPerPage = 100
    /// The fields read of each template. `parameter_format` says whether the placeholders are
    /// named (`NAMED`) or numbered (`POSITIONAL`, the default).
    static let templateFields = "name,language,status,category,components,parameter_format"

    /// One page of the account's templates, after the page whose `paging.cursors.after` is
    /// `after` (nil: the first). The URL is built here, never taken from the answer's
    /// `paging.next`: the access token travels only in the `Authorization` header.
    package func templatesRequest(account: String, after: String? = nil) -> HTTPRequestSpec {
        var query = "fields=\(Self.templateFields)&limit=\(Self.templatesPerPage)"
        if let after { query += "&after=" + Self.queryValue(after) }
        return HTTPRequestSpec(
            method: "GET", url: "\(baseURL)/\(Self.pathSegment(account))/message_templates?\(query)",
            headers: [("Authorization", "Bearer \(accessToken)")], timeout: timeout)
    }

    /// A page of templates as the Graph API answers it: the approved ones, and the cursor of
    /// the next page when there is one.
    package struct TemplatePage: Sendable, Equatable {
        package var approved: [MessageTemplate]
        /// `paging.cursors.after`, given only when `paging.next` says there is more.
        package var after: String?
    }

    /// Reads a page (`data`, `paging`), or the Graph API's error envelope. Templates pending,
    /// rejected, paused or disabled are left out: only an `APPROVED` one can be sent.
    package static func templatePage(of response: HTTPResponseData) -> Result<TemplatePage, GraphError> {
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        guard (200..<300).contains(response.status) else {
            if case .failed(let error) = outcome(of: response) { return .failure(error) }
            return .failure(GraphError(status: response.status, code: nil, detail: "HTTP \(response.status)", trace: nil))
        }
        guard let object, let data = object["data"] as? [[String: Any]] else {
            return .failure(GraphError(status: response.status, code: nil, detail: "a 2xx answer without a `data` list of templates", trace: nil))
        }
        let paging = object["paging"] as? [String: Any]
        let after = paging?["next"] == nil ? nil : (paging?["cursors"] as? [String: Any])?["after"] as? String
        return .success(TemplatePage(approved: data.compactMap(approvedTemplate), after: after))
    }

    /// One entry of `data`, when it is approved and names itself.
    static func approvedTemplate(_ entry: [String: Any]) -> MessageTemplate? {
        guard entry["status"] as? String == "APPROVED", let name = entry["name"] as? String, let language = entry["language"] as? String
        else { return nil }
        let components = entry["components"] as? [[String: Any]] ?? []
        let body = components.first { ($0["type"] as? String)?.uppercased() == "BODY" }?["text"] as? String ?? ""
        let buttons = components.filter { ($0["type"] as? String)?.uppercased() == "BUTTONS" }
            .flatMap { $0["buttons"] as? [[String: Any]] ?? [] }
            .compactMap { button -> MessageTemplate.Button? in
                guard let type = button["type"] as? String else { return nil }
                return MessageTemplate.Button(type: type.lowercased(), text: button["text"] as? String ?? "")
            }
        return MessageTemplate(
            name: name, language: language, category: entry["category"] as? String ?? "", body: body,
            named: (entry["parameter_format"] as? String)?.uppercased() == "NAMED", buttons: buttons)
    }

    /// The `template` object of a send: name, language and the body's parameters (named ones
    /// with their `parameter_name`); no `components` for a template without placeholders.
    static func template(_ message: TemplateMessage) -> [String: Any] {
        var object: [String: Any] = ["name": message.name, "language": ["code": message.language]]
        guard !message.parameters.isEmpty else { return object }
        let names = message.parameterNames ?? []
        let parameters = message.parameters.enumerated().map { i, text -> [String: Any] in
            var parameter: [String: Any] = ["type": "text", "text": text]
            if i < names.count { parameter["parameter_name"] = names[i] }
            return parameter
        }
        object["components"] = [["type": "body", "parameters": parameters]]
        return object
    }

    /// A path segment with anything but unreserved characters percent-encoded (the account id
    /// is digits when configured; this keeps a stray character from changing the path).
    static func pathSegment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// A query value with anything but unreserved characters percent-encoded (a cursor is
    /// base64: `+`, `/` and `=` must not reach the server raw).
    static func queryValue(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
