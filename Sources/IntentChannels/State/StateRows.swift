import Foundation

/// What the state stores share beyond their SQL: the order of delivery stages, the names and
/// folding of the counters, and the JSON of a contact's tags, attributes and flow run. Only the
/// SQL dialect is written once per database.
package enum StateRows {
    /// Delivery stages in order: a later status never goes back ("read" after "delivered" stays).
    static let stages = ["sent", "delivered", "read", "failed"]

    /// A status's place in `stages` (1-based; 0 for one the channel invented since).
    package static func rank(_ status: String) -> Int {
        stages.firstIndex(of: status).map { $0 + 1 } ?? 0
    }

    /// The same rank as an SQL expression over `column` (standard `CASE`, for every dialect).
    package static func rankSQL(_ column: String) -> String {
        "CASE \(column) " + stages.enumerated().map { "WHEN '\($1)' THEN \($0 + 1)" }.joined(separator: " ") + " ELSE 0 END"
    }

    /// The counters a channel keeps beside the triggers' (`Trigger.key`), under the names they were
    /// first stored with, so that existing stores keep their totals.
    package enum Counter {
        package static let received = "whatsapp:received"
        package static let duplicates = "whatsapp:duplicates"
        package static let sent = "whatsapp:sent"
        package static let failed = "whatsapp:failed"
        package static let deliveryFailed = "whatsapp:delivery_failed"
        static let prefix = "whatsapp:"
    }

    /// The channel's figures from the stored rows: every counter by name, the distinct customers
    /// per trigger, the texts waiting in the outbox and the conversations.
    package static func statistics(counters: [String: Int], customers: [String: Int], pending: Int, conversations: Int) -> ChannelStatistics {
        var figures = ChannelStatistics()
        figures.received = counters[Counter.received] ?? 0
        figures.duplicates = counters[Counter.duplicates] ?? 0
        figures.sent = counters[Counter.sent] ?? 0
        figures.failed = counters[Counter.failed] ?? 0
        figures.pending = pending
        figures.conversations = conversations
        for (name, count) in counters where !name.hasPrefix(Counter.prefix) {
            figures.triggers[name] = ChannelStatistics.Usage(count: count, customers: customers[name] ?? 0)
        }
        return figures
    }

    /// Kinds of outbox items the customer does not see: not counted as sent, failed or pending.
    package static let unseenKindsSQL = "('read', 'webhook')"

    // MARK: The contact's columns, as JSON text

    package static func json(tags: [String]) -> String? {
        tags.isEmpty ? nil : encode(tags)
    }

    package static func tags(json text: String?) -> [String] {
        decode([String].self, text) ?? []
    }

    package static func json(attributes: [String: String]) -> String? {
        attributes.isEmpty ? nil : encode(attributes)
    }

    package static func attributes(json text: String?) -> [String: String] {
        decode([String: String].self, text) ?? [:]
    }

    package static func json(run: FlowRun?) -> String? {
        run.flatMap(encode)
    }

    /// A run that no longer decodes (written by a later version) is dropped rather than stuck.
    package static func run(json text: String?) -> FlowRun? {
        decode(FlowRun.self, text)
    }

    private static func encode<Value: Encodable>(_ value: Value) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .secondsSince1970
        return (try? encoder.encode(value)).flatMap { String(data: $0, encoding: .utf8) }
    }

    private static func decode<Value: Decodable>(_ type: Value.Type, _ text: String?) -> Value? {
        guard let data = text?.data(using: .utf8) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try? decoder.decode(type, from: data)
    }
}
