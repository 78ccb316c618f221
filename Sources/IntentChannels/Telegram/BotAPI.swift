package import Foundation
package import IntentHTTP

/// Telegram's Bot API: `POST {api}/bot{token}/{method}` with a JSON body, answered with
/// `{"ok": true, "result": ...}` or `{"ok": false, "error_code", "description", "parameters":
/// {"retry_after"}}`.
///
/// The token is part of every URL, so a URL is never shown: errors carry Telegram's
/// description and the method's name, and anything else that could hold the token (a transport
/// error's text) goes through `redact`.
package struct BotAPI: Sendable {
    package var baseURL: String
    let token: String
    package var timeout: Duration

    package init(baseURL: String, token: String, timeout: Duration = .seconds(15)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.timeout = timeout
    }

    /// The request calling `method` with `parameters` as its JSON body.
    package func request(_ method: String, _ parameters: [String: Any]) -> HTTPRequestSpec {
        let body = (try? JSONSerialization.data(withJSONObject: parameters, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return HTTPRequestSpec(
            method: "POST", url: "\(baseURL)/bot\(token)/\(method)", headers: [("Content-Type", "application/json")], body: Array(body),
            timeout: timeout)
    }

    /// Calls `method` and reads the answer; a call that got no answer is an error without a status.
    package func call(_ method: String, _ parameters: [String: Any], over transport: any HTTPTransport) async -> Result<Any, BotAPIError> {
        do {
            return Self.result(of: try await transport.send(request(method, parameters)), method: method)
        } catch {
            return .failure(BotAPIError(method: method, status: nil, description: redact("\(error)")))
        }
    }

    /// The text with the token (should it be there, in a URL a transport error quotes) replaced
    /// by the setting's name.
    package func redact(_ text: String) -> String {
        token.isEmpty ? text : text.replacingOccurrences(of: token, with: "<telegram_bot_token>")
    }

    /// What an answer says: `result` when `ok`, else Telegram's error.
    package static func result(of response: HTTPResponseData, method: String) -> Result<Any, BotAPIError> {
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        if (200..<300).contains(response.status), object?["ok"] as? Bool == true, let result = object?["result"] {
            return .success(result)
        }
        guard let object else {
            return .failure(BotAPIError(method: method, status: response.status, description: "an answer that is not the Bot API's JSON"))
        }
        let parameters = object["parameters"] as? [String: Any]
        return .failure(
            BotAPIError(
                method: method, status: (object["error_code"] as? Int) ?? response.status,
                description: (object["description"] as? String) ?? "HTTP \(response.status)",
                retryAfter: (parameters?["retry_after"] as? NSNumber)?.doubleValue))
    }
}

/// A call the Bot API refused, from its error envelope, or one that got no answer.
package struct BotAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    package var method: String
    /// `error_code` (the HTTP status), or nil when no answer came (connection, timeout).
    package var status: Int?
    /// Telegram's `description` ("Forbidden: bot was blocked by the user"), or the transport's error.
    package var description: String
    /// `parameters.retry_after`: a flood limit's wait, in seconds.
    package var retryAfter: TimeInterval?

    package init(method: String, status: Int?, description: String, retryAfter: TimeInterval? = nil) {
        self.method = method
        self.status = status
        self.description = description
        self.retryAfter = retryAfter
    }

    /// The error as a send's outcome: a 429 waits `retry_after`; 5xx and no answer are tried
    /// again; a 403 (the user blocked the bot, deleted their account, never started it) never
    /// succeeds for that chat; a 401 (and a 404, which is what a token of the wrong shape or a
    /// wrong API URL gets) no send can pass; other 4xx fail this message only.
    package var outcome: SendOutcome {
        let text = "\(method): \(status.map { "\($0) " } ?? "no answer: ")\(description)"
        switch status {
        case nil: return .retry(text)
        case 429?: return retryAfter.map { .retryAfter($0, text) } ?? .retry(text)
        case 401?:
            return .credentialsRejected("Telegram refused the bot token (401 Unauthorized): replace telegram_bot_token", detail: text)
        case 404?:
            return .credentialsRejected(
                "Telegram does not know the bot's methods (404 Not Found): check telegram_bot_token and telegram_api_url", detail: text)
        case 403?: return .unreachable(text)
        case let status? where status >= 500: return .retry(text)
        default: return .failed(text)
        }
    }
}
