import Foundation
import IntentCore
import Logging

/// Chat over an OpenAI-style `POST {base}/chat/completions` in JSON mode: OpenAI
/// (ChatGPT) and DeepSeek, whose API has the same shape.
///
/// DeepSeek quirks handled: JSON mode needs the word "json" and an example in the
/// prompt (the disambiguation prompt has both); the content can come back blank
/// with `finish_reason: stop`, which is retried once; the body may start with blank
/// lines (keep-alive), which the JSON reader skips.
package struct OpenAIChatModel: ChatModel {
    package let endpoint: ProviderEndpoint
    package let model: String
    package var maxTokens = 64
    package var name: String { "\(endpoint.name)/\(model)" }

    package init(endpoint: ProviderEndpoint, model: String) {
        self.endpoint = endpoint
        self.model = model
    }

    package func complete(system: String, user: String) async throws -> String {
        for attempt in 0..<2 {
            let body: [String: Any] = [
                "model": model, "temperature": 0, "max_tokens": maxTokens,
                "response_format": ["type": "json_object"],
                "messages": [["role": "system", "content": system], ["role": "user", "content": user]],
            ]
            let object = try endpoint.object(try await endpoint.call("POST", "/chat/completions", json: body))
            guard let choices = object["choices"] as? [[String: Any]], let message = choices.first?["message"] as? [String: Any]
            else { throw ProviderError.malformed(provider: endpoint.name, "no choices[0].message") }
            let content = (message["content"] as? String) ?? ""
            if !content.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return content }
            if attempt == 0 { endpoint.logger.warning("blank chat completion; asking again", metadata: ["provider": "\(endpoint.name)"]) }
        }
        throw ProviderError.malformed(provider: endpoint.name, "blank content twice")
    }
}
