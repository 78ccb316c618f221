package import Foundation
package import IntentHTTP

/// A flow's `webhook` step as HTTP: the POST to the business's system and what its answer means.
///
/// The request carries the run's JSON (`FlowRunner.webhookBody`), `X-Intent-Delivery` (the
/// outbox item's number: the same on every retry of one step run, so the receiver can drop a
/// repeat), and with `flow_webhook_secret` set, `X-Intent-Signature-256: sha256=<hex HMAC-SHA256
/// of the body>`, as Meta signs its webhooks.
package struct FlowWebhook: Sendable {
    let signature: WebhookSignature?
    package var timeout: Duration
    /// Failures are retried until the step run is this old, then the run takes the step's `error`.
    package var retryFor: TimeInterval

    package init(secret: String?, timeout: Duration = .seconds(10), retryFor: TimeInterval = 60) {
        signature = secret.flatMap { $0.isEmpty ? nil : WebhookSignature(appSecret: $0) }
        self.timeout = timeout
        self.retryFor = retryFor
    }

    /// The largest answer read: a lookup's fields, not a file.
    package static let maxResponseBytes = 256 * 1024

    package func request(for item: OutboxItem) -> HTTPRequestSpec? {
        guard let url = item.draft.context, !url.isEmpty else { return nil }
        let body = Array(item.draft.body.utf8)
        var headers: [(name: String, value: String)] = [
            ("Content-Type", "application/json"), ("User-Agent", "IntentService"), ("X-Intent-Delivery", "\(item.id)"),
        ]
        if let signature { headers.append(("X-Intent-Signature-256", signature.header(for: body))) }
        return HTTPRequestSpec(method: "POST", url: url, headers: headers, body: body, timeout: timeout)
    }

    package enum Outcome: Sendable, Equatable {
        /// 2xx: the fields of a JSON object answer (texts as they are, numbers and booleans
        /// written out, nested values as JSON); none for another body.
        case answered([String: String])
        /// Worth another try: no answer, 408, 429, 5xx.
        case retry(String)
        /// Another answer (a 4xx): the run takes the step's `error` at once.
        case failed(String)
    }

    package static func outcome(of response: HTTPResponseData) -> Outcome {
        switch response.status {
        case 200..<300:
            return .answered(fields(of: response.body))
        case 408, 429, 500...:
            return .retry("HTTP \(response.status)")
        default:
            return .failed("HTTP \(response.status)")
        }
    }

    static func fields(of body: [UInt8]) -> [String: String] {
        guard let object = try? JSONDecoder().decode([String: Field].self, from: Data(body)) else { return [:] }
        return object.mapValues(\.text)
    }

    /// One field of the answer, written out as a template substitutes it.
    private struct Field: Decodable {
        var text: String

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                text = ""
            } else if let value = try? container.decode(Bool.self) {
                text = value ? "true" : "false"
            } else if let value = try? container.decode(Int.self) {
                text = "\(value)"
            } else if let value = try? container.decode(Double.self) {
                text = "\(value)"
            } else if let value = try? container.decode(String.self) {
                text = value
            } else {
                // An object or a list: its JSON, as the receiver wrote it (keys sorted).
                let value = try container.decode(AnyJSON.self)
                let data = try JSONSerialization.data(withJSONObject: value.object, options: [.sortedKeys, .withoutEscapingSlashes])
                text = String(decoding: data, as: UTF8.self)
            }
        }
    }

    private struct AnyJSON: Decodable {
        var object: Any

        init(from decoder: any Decoder) throws {
            if var list = try? decoder.unkeyedContainer() {
                var items: [Any] = []
                while !list.isAtEnd { items.append(try list.decode(AnyJSON.self).object) }
                object = items
            } else if let keyed = try? decoder.container(keyedBy: Key.self) {
                var items: [String: Any] = [:]
                for key in keyed.allKeys { items[key.stringValue] = try keyed.decode(AnyJSON.self, forKey: key).object }
                object = items
            } else {
                let single = try decoder.singleValueContainer()
                if single.decodeNil() {
                    object = NSNull()
                } else if let value = try? single.decode(Bool.self) {
                    object = value
                } else if let value = try? single.decode(Double.self) {
                    object = value
                } else {
                    object = try single.decode(String.self)
                }
            }
        }

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
    }
}
