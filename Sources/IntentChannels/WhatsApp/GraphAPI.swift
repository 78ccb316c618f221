import Foundation
package import IntentHTTP

/// The WhatsApp Cloud API's send endpoint, `POST {graph}/{phone_number_id}/messages`, for text
/// replies and read receipts, and its error envelope.
package struct GraphAPI: Sendable {
    package var baseURL: String
    let accessToken: String
    package var timeout: Duration

    package init(baseURL: String, accessToken: String, timeout: Duration = .seconds(15)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.accessToken = accessToken
        self.timeout = timeout
    }

    /// The longest text body the API accepts.
    package static let maxTextLength = 4_096

    package func request(for item: OutboxItem) -> HTTPRequestSpec {
        var object: [String: Any] = ["messaging_product": "whatsapp"]
        switch item.draft.kind {
        case .read:
            object["status"] = "read"
            object["message_id"] = item.draft.context ?? ""
        case .text, .buttons, .list, .webhook:
            object["recipient_type"] = "individual"
            object["to"] = item.customer
            object["type"] = "text"
            object["text"] = ["body": item.draft.body, "preview_url": false]
            if let context = item.draft.context { object["context"] = ["message_id": context] }
        }
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return HTTPRequestSpec(
            method: "POST", url: "\(baseURL)/\(item.phoneNumberID)/messages",
            headers: [("Authorization", "Bearer \(accessToken)"), ("Content-Type", "application/json")], body: Array(body),
            timeout: timeout)
    }

    /// What a send came to.
    package enum Outcome: Sendable, Equatable {
        /// Accepted; the id Meta gave the message (nil for read receipts).
        case sent(messageID: String?)
        case failed(GraphError)
    }

    package static func outcome(of response: HTTPResponseData) -> Outcome {
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        if (200..<300).contains(response.status) {
            let id = ((object?["messages"] as? [[String: Any]])?.first?["id"]) as? String
            if id != nil || object?["success"] as? Bool == true { return .sent(messageID: id) }
            return .failed(GraphError(status: response.status, code: nil, detail: "a 2xx answer without a message id or success", trace: nil))
        }
        let error = object?["error"] as? [String: Any]
        let data = error?["error_data"] as? [String: Any]
        let detail = (data?["details"] as? String) ?? (error?["message"] as? String) ?? "HTTP \(response.status)"
        return .failed(
            GraphError(status: response.status, code: error?["code"] as? Int, detail: detail, trace: error?["fbtrace_id"] as? String))
    }
}

/// A send the Graph API refused, read from its error envelope
/// (`error.code`, `error.error_data.details`, `error.fbtrace_id`).
package struct GraphError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status, or nil when no answer came (connection, timeout).
    package var status: Int?
    package var code: Int?
    package var detail: String
    package var trace: String?

    package init(status: Int?, code: Int?, detail: String, trace: String?) {
        self.status = status
        self.code = code
        self.detail = detail
        self.trace = trace
    }

    /// Codes worth another try: temporary errors, throughput and pair-rate limits.
    package static let retryableCodes: Set<Int> = [1, 2, 4, 80_007, 130_429, 131_000, 131_016, 131_056, 133_004]
    /// Codes that never succeed on retry: outside the 24-hour window, not on WhatsApp,
    /// ecosystem limits, blocked account, expired or invalid token.
    package static let permanentCodes: Set<Int> = [131_047, 131_026, 131_050, 368, 190]

    package var isRetryable: Bool {
        if let code {
            if Self.permanentCodes.contains(code) { return false }
            if Self.retryableCodes.contains(code) { return true }
        }
        guard let status else { return true }  // no answer at all: the network, try again
        return status >= 500 || status == 429
    }

    /// The access token expired or was revoked: every send fails until an operator replaces it.
    package var isTokenInvalid: Bool { code == 190 }

    package var description: String {
        var text = status.map { "HTTP \($0)" } ?? "no answer"
        if let code { text += " code \(code)" }
        text += ": \(detail)"
        if let trace { text += " (fbtrace_id \(trace))" }
        return text
    }
}
