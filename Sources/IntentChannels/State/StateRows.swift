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

        /// One channel's figures (the totals above are all channels'); its distinct customers are
        /// `trigger_customers` rows under `customers(on:)`.
        package static func received(on channel: String) -> String { channelPrefix + channel + ":received" }
        package static func sent(on channel: String) -> String { channelPrefix + channel + ":sent" }
        package static func failed(on channel: String) -> String { channelPrefix + channel + ":failed" }
        package static func customers(on channel: String) -> String { channelPrefix + channel }
        static let channelPrefix = "channel:"
    }

    /// Starts WhatsApp's own figures at the totals counted before there were other channels.
    package static let seedChannelCountersSQL = """
        INSERT INTO counters (name, count) SELECT 'channel:whatsapp:' || substr(name, 10), count FROM counters
            WHERE name IN ('whatsapp:received', 'whatsapp:sent', 'whatsapp:failed');
        INSERT INTO trigger_customers (trigger, customer) SELECT DISTINCT 'channel:whatsapp', customer FROM inbound;
        """

    /// The texts waiting in the outbox per channel (`channel`, `n`).
    package static let pendingByChannelSQL = """
        SELECT COALESCE(channel, 'whatsapp') AS channel, COUNT(*) AS n FROM outbox
        WHERE state = 'pending' AND kind NOT IN \(unseenKindsSQL) GROUP BY COALESCE(channel, 'whatsapp')
        """

    /// Who a stored row is from or to: rows from before other channels name only the customer,
    /// a WhatsApp number.
    package static func identity(channel: String?, id: String?, customer: String) -> ChannelIdentity {
        ChannelIdentity(channel: channel ?? ChannelIdentity.whatsapp, id: id ?? customer)
    }

    /// The channel's figures from the stored rows: every counter by name, the distinct customers
    /// per trigger, the texts waiting in the outbox per channel and the conversations.
    package static func statistics(
        counters: [String: Int], customers: [String: Int], pending: [String: Int], conversations: Int
    )
        -> ChannelStatistics
    {
        var figures = ChannelStatistics()
        figures.received = counters[Counter.received] ?? 0
        figures.duplicates = counters[Counter.duplicates] ?? 0
        figures.sent = counters[Counter.sent] ?? 0
        figures.failed = counters[Counter.failed] ?? 0
        figures.pending = pending.values.reduce(0, +)
        figures.conversations = conversations
        for (name, count) in counters where !name.hasPrefix(Counter.prefix) && !name.hasPrefix(Counter.channelPrefix) {
            figures.triggers[name] = ChannelStatistics.Usage(count: count, customers: customers[name] ?? 0)
        }
        var channels = Set(pending.keys)
        for name in customers.keys where name.hasPrefix(Counter.channelPrefix) {
            channels.insert(String(name.dropFirst(Counter.channelPrefix.count)))
        }
        for channel in channels {
            figures.channels[channel] = ChannelStatistics.ChannelFigures(
                received: counters[Counter.received(on: channel)] ?? 0, sent: counters[Counter.sent(on: channel)] ?? 0,
                failed: counters[Counter.failed(on: channel)] ?? 0, pending: pending[channel] ?? 0,
                customers: customers[Counter.customers(on: channel)] ?? 0)
        }
        return figures
    }

    /// How many times `sharingEvidenceSQL` binds the contact's id.
    package static let sharingEvidenceBinds = 6

    /// The other contacts sharing evidence with one (its id bound `sharingEvidenceBinds` times, by
    /// `placeholder(n)`), both ways: a phone number it gave that is another's WhatsApp id, its
    /// WhatsApp id another gave as their phone number, or a phone number or e-mail address
    /// another gave too.
    package static func sharingEvidenceSQL(placeholder p: (Int) -> String) -> String {
        """
        SELECT i.contact FROM contact_evidence e JOIN identities i ON i.channel = 'whatsapp' AND i.external_id = e.value
        WHERE e.kind = 'phone' AND e.contact = \(p(1)) AND i.contact <> \(p(2))
        UNION
        SELECT e.contact FROM identities i JOIN contact_evidence e ON e.kind = 'phone' AND e.value = i.external_id
        WHERE i.channel = 'whatsapp' AND i.contact = \(p(3)) AND e.contact <> \(p(4))
        UNION
        SELECT o.contact FROM contact_evidence e JOIN contact_evidence o ON o.kind = e.kind AND o.value = e.value
        WHERE e.contact = \(p(5)) AND o.contact <> \(p(6))
        """
    }

    /// The contact that gave a phone number as evidence (the one first seen earliest, when several
    /// did), bound once: who a new WhatsApp number's first message belongs to.
    package static func phoneGiverSQL(placeholder p: (Int) -> String) -> String {
        """
        SELECT c.customer FROM contact_evidence e JOIN conversations c ON c.customer = e.contact
        WHERE e.kind = 'phone' AND e.value = \(p(1)) ORDER BY c.first_inbound_at, c.customer LIMIT 1
        """
    }

    /// Phone evidence stored before numbers were kept in E.164 form: the international prefix
    /// `00` dropped, and numbers in national form (a leading 0) no longer evidence.
    package static let phoneEvidenceE164SQL = [
        "UPDATE contact_evidence SET value = substr(value, 3) WHERE kind = 'phone' AND value LIKE '00%'",
        "DELETE FROM contact_evidence WHERE kind = 'phone' AND (value LIKE '0%' OR length(value) < 7 OR length(value) > 15)",
    ]

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
