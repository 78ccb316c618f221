import Foundation
import IntentCore
package import IntentHTTP

/// Why a provider call failed, worded for the person who configures the service.
/// Never holds an API key: texts from provider responses are scrubbed of it.
package enum ProviderError: Error, Sendable, CustomStringConvertible, ClientSafeError {
    /// The provider answered with an error status.
    case http(provider: String, status: Int, code: String?, message: String, requestID: String?)
    /// No HTTP answer at all.
    case transport(provider: String, HTTPClientError)
    /// An answer that does not have the documented shape.
    case malformed(provider: String, String)
    /// Coze's envelope said `code != 0` (even with HTTP 200).
    case envelope(provider: String, code: Int, message: String, logID: String?)
    /// The circuit breaker is open after repeated failures; no call was made.
    case circuitOpen(provider: String, retryIn: Duration)
    /// The configuration cannot work (missing key, an endpoint the provider does not have).
    case configuration(String)

    package var description: String {
        switch self {
        case .http(let provider, let status, let code, let message, let requestID):
            let codeText = code.map { " (\($0))" } ?? ""
            let id = requestID.map { ", request id \($0)" } ?? ""
            return "\(provider) answered HTTP \(status)\(codeText): \(message)\(id)\(Self.hint(status: status, code: code))"
        case .transport(let provider, let error): return "\(provider): \(error)"
        case .malformed(let provider, let detail): return "\(provider) sent an unexpected answer: \(detail)"
        case .envelope(let provider, let code, let message, let logID):
            return "\(provider) answered code \(code): \(message)\(logID.map { ", log id \($0)" } ?? "")"
        case .circuitOpen(let provider, let retryIn): return "\(provider) is failing; calls paused for \(retryIn)"
        case .configuration(let text): return text
        }
    }

    /// What a client of the service may read (`degraded_reason` in `/match` and `/readyz`):
    /// the provider, the status and our own words, never text from the provider's answer,
    /// which can echo part of a key (OpenAI's 401 names `sk-proj-…MxYA`, DeepSeek's
    /// `****fcc2`). The whole description goes to the service log.
    package var clientDescription: String {
        switch self {
        case .http(let provider, let status, _, _, _): return "\(provider) answered HTTP \(status)"
        case .transport(let provider, let error): return "\(provider): \(error)"
        case .malformed(let provider, _): return "\(provider) sent an unexpected answer"
        case .envelope(let provider, let code, _, _): return "\(provider) answered code \(code)"
        case .circuitOpen, .configuration: return description
        }
    }

    private static func hint(status: Int, code: String?) -> String {
        switch (status, code) {
        case (401, _): return "; check the API key (OPENAI_API_KEY, DEEPSEEK_API_KEY or COZE_API_TOKEN)"
        case (402, _), (_, "insufficient_quota"): return "; the account has no balance or quota left"
        case (404, "model_not_found"): return "; check the model name"
        default: return ""
        }
    }

    /// Parses the error bodies providers send: OpenAI's nested `{"error": {"message", "type",
    /// "code"}}`, Ollama's flat `{"error": "text"}`, and TEI/vLLM's flat `{"message", "code"|"type"}`.
    static func details(of body: [UInt8]) -> (code: String?, message: String?) {
        let (code, message) = rawDetails(of: body)
        return (code, message.map(scrubMaskedKeys))
    }

    /// Masked keys as providers echo them (`sk-proj-****…MxYA`, `sk-ab…cdef`, `****fcc2`),
    /// replaced: a key's visible ends are still part of it.
    static func scrubMaskedKeys(_ text: String) -> String {
        let range = NSRange(text.startIndex..., in: text)
        return maskedKey.stringByReplacingMatches(in: text, range: range, withTemplate: "<redacted>")
    }

    private static let maskedKey = try! NSRegularExpression(
        pattern: #"\b(?:sk|pat|pk|rk)[-_][A-Za-z0-9_\-]*(?:\*+|…|\.{3,}|•+)[A-Za-z0-9_\-]*|(?:\*{3,}|•{3,})[A-Za-z0-9_\-]{2,12}"#)

    private static func rawDetails(of body: [UInt8]) -> (code: String?, message: String?) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return (nil, text.isEmpty ? nil : text)
        }
        if let error = object["error"] as? [String: Any] {
            let code = (error["code"] as? String) ?? (error["type"] as? String)
            return (code, error["message"] as? String)
        }
        if let error = object["error"] as? String { return (nil, error) }
        let code = (object["code"] as? String) ?? (object["error_type"] as? String) ?? (object["type"] as? String)
        return (code, object["message"] as? String ?? object["msg"] as? String)
    }
}

/// An API key, kept out of descriptions, logs and errors.
package struct Secret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    package let value: String
    package init(_ value: String) { self.value = value }
    package var description: String { "<redacted>" }
    package var debugDescription: String { "<redacted>" }

    /// `text` with every occurrence of the key replaced.
    package func scrub(_ text: String) -> String {
        value.count < 4 ? text : text.replacingOccurrences(of: value, with: "<redacted>")
    }
}
