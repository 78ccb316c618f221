import Foundation
import IntentCore
import IntentHTTP
import IntentTestSupport

/// The fake WhatsApp Graph API (IntentTestSupport's Fixtures/fake_graph.py) as a child process.
final class FakeGraphServer: @unchecked Sendable {
    let process: Process
    let port: Int
    let token: String
    var base: String { "http://127.0.0.1:\(port)/v21.0" }
    private let control = CurlHTTPClient()

    static func start(token: String = "EAAG-\(UUID().uuidString.prefix(12))") async throws -> FakeGraphServer {
        try await BlockingIO.run { try FakeGraphServer(token: token) }
    }

    private init(token: String) throws {
        self.token = token
        (process, port) = try FakeProviderProcess.launchGraph(token: token)
    }

    deinit { process.terminate() }

    func control(_ body: [String: Any]) async throws {
        _ = try await control.send(
            HTTPRequestSpec(
                method: "POST", url: "http://127.0.0.1:\(port)/_control", headers: [("Content-Type", "application/json")],
                body: Array(try JSONSerialization.data(withJSONObject: body)), timeout: .seconds(5)))
    }

    /// The accepted sends, in order: each `body` is the JSON the service posted.
    func sent() async throws -> [[String: Any]] {
        let response = try await control.send(HTTPRequestSpec(method: "GET", url: "http://127.0.0.1:\(port)/_sent", timeout: .seconds(5)))
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        return (object?["sent"] as? [[String: Any]] ?? []).compactMap { $0["body"] as? [String: Any] }
    }

    /// Requests counted by the fake: `requests`, and `rejected` (answered with an error).
    func stats() async throws -> [String: Any] {
        let response = try await control.send(HTTPRequestSpec(method: "GET", url: "http://127.0.0.1:\(port)/_stats", timeout: .seconds(5)))
        return try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
    }

    /// Text bodies sent to one customer, in order.
    func texts(to customer: String) async throws -> [String] {
        try await sent().filter { $0["to"] as? String == customer }.compactMap { ($0["text"] as? [String: Any])?["body"] as? String }
    }

    /// The interactive messages (reply buttons, lists) sent to one customer, in order: each
    /// message's `interactive` object.
    func interactives(to customer: String) async throws -> [[String: Any]] {
        try await sent().filter { $0["to"] as? String == customer && $0["type"] as? String == "interactive" }
            .compactMap { $0["interactive"] as? [String: Any] }
    }

    /// Posts a body to the fake's send endpoint as the service would, with its token, and
    /// returns the answer: for sends built by hand, valid or not.
    func post(_ object: [String: Any], phoneNumberID: String = "106540352242922") async throws -> HTTPResponseData {
        try await control.send(
            HTTPRequestSpec(
                method: "POST", url: "\(base)/\(phoneNumberID)/messages",
                headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")],
                body: Array(try JSONSerialization.data(withJSONObject: object)), timeout: .seconds(5)))
    }

    /// Waits until `condition` holds for the sends, then returns them; the timeout guards against
    /// a hang (a busy machine may take long), it is no timing.
    func waitForSends(timeout: Duration = .seconds(180), until condition: ([[String: Any]]) -> Bool) async throws -> [[String: Any]] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let sends = try await sent()
            if condition(sends) || ContinuousClock.now > deadline { return sends }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// A signed webhook body as Meta sends it: JSON with non-ASCII escaped as \uXXXX.
enum WebhookBody {
    static func message(
        id: String, from customer: String, text: String?, type: String = "text", caption: String? = nil, name: String = "Kerry",
        phoneNumberID: String = "106540352242922", timestamp: Date = Date()
    ) -> [UInt8] {
        var message: [String: Any] = ["from": customer, "id": id, "timestamp": "\(Int(timestamp.timeIntervalSince1970))", "type": type]
        if let text { message["text"] = ["body": text] }
        // Media as Meta sends it: an id to download it by, and the caption the customer wrote.
        var media: [String: Any]? =
            switch type {
            case "image": ["mime_type": "image/jpeg", "sha256": "abc", "id": "1234"]
            case "video": ["mime_type": "video/mp4", "sha256": "def", "id": "1235"]
            case "document": ["mime_type": "application/pdf", "sha256": "ghi", "id": "1236", "filename": "invoice.pdf"]
            case "audio": ["mime_type": "audio/ogg; codecs=opus", "sha256": "jkl", "id": "1237", "voice": true]
            default: nil
            }
        if let caption { media?["caption"] = caption }
        if let media { message[type] = media }
        return envelope(
            phoneNumberID: phoneNumberID,
            value: ["contacts": [["profile": ["name": name], "wa_id": customer]], "messages": [message]])
    }

    /// A customer's pick in an interactive message: `kind` `button_reply` or `list_reply`,
    /// replying to (quoting) the business's message `to`.
    static func reply(
        id: String, from customer: String, choice: String, title: String, kind: String = "button_reply", description: String? = nil,
        to context: String? = nil, name: String = "Kerry", phoneNumberID: String = "106540352242922", timestamp: Date = Date()
    ) -> [UInt8] {
        var reply: [String: Any] = ["id": choice, "title": title]
        if let description { reply["description"] = description }
        var message: [String: Any] = [
            "from": customer, "id": id, "timestamp": "\(Int(timestamp.timeIntervalSince1970))", "type": "interactive",
            "interactive": ["type": kind, kind: reply],
        ]
        if let context { message["context"] = ["from": "15550783881", "id": context] }
        return envelope(
            phoneNumberID: phoneNumberID, value: ["contacts": [["profile": ["name": name], "wa_id": customer]], "messages": [message]])
    }

    /// A tap on a template's quick-reply button (the older `type: button` message).
    static func templateButton(
        id: String, from customer: String, payload: String, text: String, phoneNumberID: String = "106540352242922", timestamp: Date = Date()
    ) -> [UInt8] {
        let message: [String: Any] = [
            "from": customer, "id": id, "timestamp": "\(Int(timestamp.timeIntervalSince1970))", "type": "button",
            "button": ["payload": payload, "text": text],
        ]
        return envelope(
            phoneNumberID: phoneNumberID, value: ["contacts": [["profile": ["name": "Kerry"], "wa_id": customer]], "messages": [message]])
    }

    static func status(_ messageID: String, _ status: String, to customer: String, errorCode: Int? = nil) -> [UInt8] {
        var object: [String: Any] = [
            "id": messageID, "status": status, "timestamp": "\(Int(Date().timeIntervalSince1970))", "recipient_id": customer,
        ]
        if let errorCode {
            object["errors"] = [["code": errorCode, "title": "Message undeliverable", "error_data": ["details": "Message Undeliverable."]]]
        }
        return envelope(phoneNumberID: "106540352242922", value: ["statuses": [object]])
    }

    static func envelope(phoneNumberID: String, value: [String: Any]) -> [UInt8] {
        var value = value
        value["messaging_product"] = "whatsapp"
        value["metadata"] = ["display_phone_number": "15550783881", "phone_number_id": phoneNumberID]
        let root: [String: Any] = [
            "object": "whatsapp_business_account",
            "entry": [["id": "102290129340398", "changes": [["field": "messages", "value": value]]]],
        ]
        let data = try! JSONSerialization.data(withJSONObject: root, options: [.sortedKeys])
        return asciiEscaped(String(decoding: data, as: UTF8.self))
    }

    /// Every non-ASCII character as \uXXXX (surrogate pairs beyond the BMP), as Meta writes it.
    static func asciiEscaped(_ json: String) -> [UInt8] {
        var out = ""
        for unit in json.utf16 {
            if unit < 0x80 {
                out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            } else {
                out += String(format: "\\u%04x", unit)
            }
        }
        return Array(out.utf8)
    }
}
