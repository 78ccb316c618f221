import Foundation
import IntentCore
import IntentHTTP
import IntentProviders

/// Provider answers (OpenAI-style embeddings and chat, DeepSeek, Coze JSON and SSE), fed to the
/// real clients through a transport that answers every request with the fuzzed bytes.
enum ProviderTargets {
    /// Answers with the input: the first byte picks the status (200 mostly, else an error status)
    /// and the content type; the rest is the body.
    struct Answering: HTTPTransport {
        let bytes: [UInt8]

        func send(_ request: HTTPRequestSpec) async throws -> HTTPResponseData {
            let selector = bytes.first ?? 0
            let status = [200, 200, 200, 200, 400, 401, 429, 500][Int(selector % 8)]
            let type = selector & 0x80 != 0 ? "text/event-stream" : "application/json"
            let body = Array(bytes.dropFirst())
            if let watcher = request.watcher {
                // Fed in pieces, as a stream arrives.
                var offset = 0
                while offset < body.count {
                    let end = min(body.count, offset + 1 + Int(selector % 64))
                    let stop = body[offset..<end].withUnsafeBytes { watcher.received($0) }
                    offset = end
                    if stop { return HTTPResponseData(status: status, headers: ["content-type": type], body: Array(body[..<offset])) }
                }
            }
            return HTTPResponseData(status: status, headers: ["content-type": type, "retry-after": "0"], body: body)
        }
    }

    static func endpoint(_ bytes: [UInt8]) -> ProviderEndpoint {
        var retry = RetryPolicy()
        retry.maxRetries = 0
        return ProviderEndpoint(name: "fuzz", baseURL: "http://127.0.0.1:9", key: Secret("sk-fuzz"), retry: retry, transport: Answering(bytes: bytes))
    }

    static let all: [FuzzTarget] = [
        FuzzTarget(name: "openai-embeddings") { bytes in
            blocking {
                let embedder = OpenAIEmbedder(endpoint: endpoint(bytes), model: "m", dimension: 4)
                _ = try? await embedder.embed(["a", "b"])
            }
        },
        FuzzTarget(name: "chat-completions") { bytes in
            blocking { _ = try? await OpenAIChatModel(endpoint: endpoint(bytes), model: "deepseek-chat").complete(system: "s", user: "u") }
        },
        FuzzTarget(name: "coze") { bytes in
            blocking {
                let coze = CozeChatModel(
                    endpoint: endpoint(bytes), botID: "b", stream: bytes.first.map { $0 & 0x80 != 0 } ?? true, pollInterval: .milliseconds(1),
                    firstPoll: .milliseconds(1))
                _ = try? await Deadline.run(.milliseconds(100)) { try await coze.complete(system: "s", user: "u") }
            }
        },
    ]
}
