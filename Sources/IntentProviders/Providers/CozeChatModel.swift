import Foundation
import IntentCore
import IntentHTTP

/// Chat with a Coze bot through the v3 chat API (`api.coze.com` or `api.coze.cn`).
///
/// Every JSON answer is an envelope `{code, msg, data}`; `code != 0` is a failure even
/// with HTTP 200. Non-streaming: create the chat, poll `retrieve` until it ends, then
/// take the `answer` message from `message/list`; a caller that gives up cancels the
/// chat. Streaming (the default): the events are read as they arrive, and the stream is left
/// as soon as the `answer` message is complete, without waiting for the follow-up suggestions
/// Coze generates after it.
package struct CozeChatModel: ChatModel {
    package let endpoint: ProviderEndpoint
    package let botID: String
    package var userID = "intent-service"
    package var stream = true
    /// The longest wait between two polls of a chat's status: polls start at `firstPoll` and
    /// double up to it (100, 200, 400, 800 ms, then every second), so a bot that answers in
    /// half a second is read in half a second, and a slow one costs few requests.
    package var pollInterval: Duration = .seconds(1)
    package var firstPoll: Duration = .milliseconds(100)
    package var name: String { "\(endpoint.name)/\(botID)" }

    package init(
        endpoint: ProviderEndpoint, botID: String, stream: Bool = true, pollInterval: Duration = .seconds(1),
        firstPoll: Duration = .milliseconds(100)
    ) {
        self.endpoint = endpoint
        self.botID = botID
        self.stream = stream
        self.pollInterval = pollInterval
        self.firstPoll = min(firstPoll, pollInterval)
    }

    package func complete(system: String, user: String) async throws -> String {
        let body: [String: Any] = [
            "bot_id": botID, "user_id": userID, "stream": stream, "auto_save_history": !stream,
            "additional_messages": [["role": "user", "content": system + "\n\n" + user, "content_type": "text"]],
        ]
        let response = try await endpoint.call("POST", "/v3/chat", json: body, watcher: stream ? CozeStreamWatcher() : nil)
        if stream && !(response.headers["content-type"] ?? "").contains("application/json") {
            return try Self.answer(fromEvents: response.text, provider: endpoint.name)
        }
        let chat = try data(response) as? [String: Any] ?? [:]
        guard let chatID = chat["id"] as? String, let conversationID = chat["conversation_id"] as? String else {
            throw ProviderError.malformed(provider: endpoint.name, "no chat id in the answer to /v3/chat")
        }
        let ids = ["conversation_id": conversationID, "chat_id": chatID]
        do {
            var status = chat["status"] as? String ?? "created"
            var last = chat
            var wait = firstPoll
            while status == "created" || status == "in_progress" {
                try await Task.sleep(for: wait)
                wait = min(wait * 2, pollInterval)
                last = try data(try await endpoint.call("GET", "/v3/chat/retrieve", query: ids)) as? [String: Any] ?? [:]
                status = last["status"] as? String ?? "unknown"
            }
            guard status == "completed" else {
                let error = last["last_error"] as? [String: Any]
                throw ProviderError.envelope(
                    provider: endpoint.name, code: error?["code"] as? Int ?? -1,
                    message: "the chat ended as \(status)\((error?["msg"] as? String).map { ": \($0)" } ?? "")", logID: nil)
            }
            let messages = try data(try await endpoint.call("GET", "/v3/chat/message/list", query: ids)) as? [[String: Any]] ?? []
            guard let answer = messages.first(where: { $0["type"] as? String == "answer" })?["content"] as? String else {
                throw ProviderError.malformed(provider: endpoint.name, "no message of type 'answer'")
            }
            return answer
        } catch is CancellationError {
            // The caller's deadline passed: stop the bot working for nobody (best effort).
            let endpoint = self.endpoint
            Task.detached { _ = try? await endpoint.call("POST", "/v3/chat/cancel", json: ids) }
            throw CancellationError()
        }
    }

    /// The `data` of an envelope whose `code` is 0.
    private func data(_ response: HTTPResponseData) throws -> Any? {
        let object = try endpoint.object(response)
        let code = object["code"] as? Int ?? -1
        guard code == 0 else {
            throw ProviderError.envelope(
                provider: endpoint.name, code: code, message: object["msg"] as? String ?? "no message",
                logID: response.headers["x-tt-logid"])
        }
        return object["data"]
    }

    /// The reply assembled from an SSE stream's `answer` deltas.
    static func answer(fromEvents text: String, provider: String) throws -> String {
        var answer = ""
        var completed = false
        for block in text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n\n") {
            var event = ""
            var data = ""
            for line in block.split(separator: "\n") {
                if line.hasPrefix("event:") { event = line.dropFirst(6).trimmingCharacters(in: .whitespaces) }
                if line.hasPrefix("data:") { data += line.dropFirst(5).trimmingCharacters(in: .whitespaces) }
            }
            let object = (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any]
            switch event {
            case "conversation.message.delta":
                if object?["type"] as? String == "answer" { answer += object?["content"] as? String ?? "" }
            case "conversation.message.completed" where object?["type"] as? String == "answer":
                // The whole answer; what follows (follow-up suggestions) is not needed.
                return object?["content"] as? String ?? answer
            case "conversation.chat.completed", "done": completed = true
            case "conversation.chat.failed", "error":
                let error = (object?["last_error"] as? [String: Any]) ?? object
                throw ProviderError.envelope(
                    provider: provider, code: error?["code"] as? Int ?? -1, message: error?["msg"] as? String ?? "the chat failed",
                    logID: nil)
            case "conversation.chat.requires_action":
                throw ProviderError.envelope(provider: provider, code: -1, message: "the bot asked for a tool call", logID: nil)
            default: break
            }
        }
        guard completed else { throw ProviderError.malformed(provider: provider, "the stream ended before the chat completed") }
        return answer
    }
}

/// Reads a Coze event stream as it arrives and ends it once the answer is complete (or the chat
/// ended): a bot's follow-up suggestions can take seconds more, which no caller waits for.
final class CozeStreamWatcher: ResponseWatcher, @unchecked Sendable {
    /// Bytes after the last complete event (events end with a blank line).
    private var pending: [UInt8] = []

    static let finalEvents = ["conversation.chat.completed", "conversation.chat.failed", "conversation.chat.requires_action", "error", "done"]

    func received(_ chunk: UnsafeRawBufferPointer) -> Bool {
        pending.append(contentsOf: chunk)
        var finished = false
        while let end = Self.eventEnd(in: pending) {
            let block = String(decoding: pending[..<end.start], as: UTF8.self)
            pending.removeSubrange(..<end.next)
            finished = finished || Self.isLast(block)
        }
        return finished
    }

    /// Where the first event ends ("\n\n" or "\r\n\r\n"), and where the next begins.
    static func eventEnd(in bytes: [UInt8]) -> (start: Int, next: Int)? {
        var i = 0
        while i + 1 < bytes.count {
            if bytes[i] == 10 && bytes[i + 1] == 10 { return (i, i + 2) }
            if i + 3 < bytes.count && bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 { return (i, i + 4) }
            i += 1
        }
        return nil
    }

    static func isLast(_ block: String) -> Bool {
        var event = ""
        var data = ""
        for line in block.split(whereSeparator: \.isNewline) {
            if line.hasPrefix("event:") { event = line.dropFirst(6).trimmingCharacters(in: .whitespaces) }
            if line.hasPrefix("data:") { data += line.dropFirst(5).trimmingCharacters(in: .whitespaces) }
        }
        if finalEvents.contains(event) { return true }
        guard event == "conversation.message.completed" else { return false }
        let object = (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any]
        return object?["type"] as? String == "answer"
    }
}
