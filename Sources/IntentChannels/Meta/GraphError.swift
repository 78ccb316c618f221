import Foundation
package import IntentHTTP

/// A call the Graph API refused, read from Meta's error envelope, the same for every Meta
/// product: `{"error": {"message", "type", "code", "error_subcode", "error_data": {"details"},
/// "fbtrace_id"}}`. Which codes are worth a retry is each channel's (`GraphError+WhatsApp`,
/// `SendAPI`).
package struct GraphError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status, or nil when no answer came (connection, timeout).
    package var status: Int?
    package var code: Int?
    /// `error_subcode`: what a code means more precisely (Messenger's 100 with 2018001: no
    /// matching user).
    package var subcode: Int?
    package var detail: String
    package var trace: String?

    package init(status: Int?, code: Int?, subcode: Int? = nil, detail: String, trace: String?) {
        self.status = status
        self.code = code
        self.subcode = subcode
        self.detail = detail
        self.trace = trace
    }

    /// A refusal as answered: its envelope's code, subcode, details (else message) and trace;
    /// an answer without an envelope (a proxy's page) keeps the status alone.
    package init(refusal response: HTTPResponseData) {
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        let error = object?["error"] as? [String: Any]
        let data = error?["error_data"] as? [String: Any]
        let details = (data?["details"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        self.init(
            status: response.status, code: error?["code"] as? Int, subcode: error?["error_subcode"] as? Int,
            detail: details ?? (error?["message"] as? String) ?? "HTTP \(response.status)", trace: error?["fbtrace_id"] as? String)
    }

    /// The access token expired, was revoked or never was one: every call fails until an
    /// operator replaces it.
    package var isTokenInvalid: Bool { code == 190 }

    package var description: String {
        var text = status.map { "HTTP \($0)" } ?? "no answer"
        if let code { text += " code \(code)" + (subcode.map { "/\($0)" } ?? "") }
        text += ": \(detail)"
        if let trace { text += " (fbtrace_id \(trace))" }
        return text
    }
}
