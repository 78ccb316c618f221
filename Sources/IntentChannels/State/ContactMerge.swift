package import Foundation

/// One contact's identity on a channel, when the customer last wrote from it (the reply
/// window of a person's answer sent there counts from it), and the business's account they
/// wrote to there (the answer goes out from it).
package struct ContactIdentity: Sendable, Equatable {
    package var identity: ChannelIdentity
    package var lastSeenAt: Date
    package var account: String?

    package init(identity: ChannelIdentity, lastSeenAt: Date, account: String? = nil) {
        self.identity = identity
        self.lastSeenAt = lastSeenAt
        self.account = account
    }
}

/// Why a merge or an unmerge was refused.
package enum ContactMergeError: Error, Equatable, CustomStringConvertible {
    case sameContact(String)
    /// No conversation has that id.
    case unknownContact(String)
    /// The contact was merged into another one: its conversation is that one's now.
    case mergedAway(String, into: String)
    /// Unmerge of a contact that was never merged (or already unmerged).
    case notMerged(String)
    /// Unmerge of a contact whose target has since been merged into another contact itself.
    case targetMergedAway(String, target: String, into: String)

    package var description: String {
        switch self {
        case .sameContact(let id): "a contact cannot be merged into itself ('\(id)')"
        case .unknownContact(let id): "no contact '\(id)'"
        case .mergedAway(let id, let into): "contact '\(id)' was merged into '\(into)'; unmerge it first, or use '\(into)'"
        case .notMerged(let id): "contact '\(id)' is not merged into another contact"
        case .targetMergedAway(let id, let target, let into):
            "contact '\(id)' was merged into '\(target)', which was since merged into '\(into)': unmerge '\(target)' first"
        }
    }
}

/// What a merge moved, stored in `merges.record` as JSON so that `unmerge` puts back exactly
/// those rows (and the merged contact's conversation as it was).
package struct MergeRecord: Codable, Sendable, Equatable {
    package var inbound: [String] = []
    package var outbox: [Int64] = []
    package var notes: [Int64] = []
    package var evidence: [Int64] = []
    /// The merged contact's identities, `[channel, id]`.
    package var identities: [[String]] = []
    /// `trigger_customers` rows re-keyed to the target, and rows dropped because the target had
    /// the same trigger already (a merged contact counts once).
    package var triggersMoved: [String] = []
    package var triggersShared: [String] = []
    package var merged: StoredConversation
    /// The target's conversation before the merge: what the merge added to it is taken back.
    package var target: StoredConversation

    package init(merged: StoredConversation, target: StoredConversation) {
        self.merged = merged
        self.target = target
    }

    package var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    package init?(json: String) {
        guard let record = try? JSONDecoder().decode(MergeRecord.self, from: Data(json.utf8)) else { return nil }
        self = record
    }

    package var mergedIdentities: [ChannelIdentity] {
        identities.compactMap { $0.count == 2 ? ChannelIdentity(channel: $0[0], id: $0[1]) : nil }
    }
}

/// A conversation row as JSON (times as seconds since 1970, as the tables keep them).
package struct StoredConversation: Codable, Sendable, Equatable {
    var customer: String
    var name: String?
    var firstInboundAt: Double
    var lastInboundAt: Double
    var mutedUntil: Double?
    var lastAwayDay: String?
    var phoneNumberID: String?
    var tags: [String]
    var attributes: [String: String]
    var flowRun: FlowRun?
    var flowDueAt: Double?
    var handling: String
    var assignee: String?
    var unread: Int
    var lastActivityAt: Double
    var lastMessage: String?
    var resolutions: Int
    var channel: String
    var recipient: String

    package init(_ c: Conversation) {
        customer = c.customer
        name = c.name
        firstInboundAt = c.firstInboundAt.timeIntervalSince1970
        lastInboundAt = c.lastInboundAt.timeIntervalSince1970
        mutedUntil = c.mutedUntil?.timeIntervalSince1970
        lastAwayDay = c.lastAwayDay
        phoneNumberID = c.phoneNumberID
        tags = c.tags
        attributes = c.attributes
        flowRun = c.flowRun
        flowDueAt = c.flowDueAt?.timeIntervalSince1970
        handling = c.handling.rawValue
        assignee = c.assignee
        unread = c.unread
        lastActivityAt = c.lastActivityAt.timeIntervalSince1970
        lastMessage = c.lastMessage
        resolutions = c.resolutions
        channel = c.identity.channel
        recipient = c.identity.id
    }

    package var conversation: Conversation {
        Conversation(
            customer: customer, name: name, firstInboundAt: Date(timeIntervalSince1970: firstInboundAt),
            lastInboundAt: Date(timeIntervalSince1970: lastInboundAt), mutedUntil: mutedUntil.map(Date.init(timeIntervalSince1970:)),
            lastAwayDay: lastAwayDay, phoneNumberID: phoneNumberID, tags: tags, attributes: attributes, flowRun: flowRun,
            flowDueAt: flowDueAt.map(Date.init(timeIntervalSince1970:)), handling: Conversation.Handling(rawValue: handling) ?? .bot,
            assignee: assignee, unread: unread, lastActivityAt: Date(timeIntervalSince1970: lastActivityAt), lastMessage: lastMessage,
            resolutions: resolutions, identity: ChannelIdentity(channel: channel, id: recipient))
    }
}

/// How two contacts' conversations become one, and part again: the same rules for every store.
package enum ContactMerge {
    /// `merged`'s conversation folded into `target`'s: tags joined; attributes joined, the
    /// target's value winning a conflict; the target's flow run, or the merged one's when the
    /// target runs none (the customer is in the middle of answering it); first seen the earlier,
    /// last written the later, and replies not caused by a message go where the customer wrote
    /// last; unread messages added up; whoever has the conversation in the inbox keeps it (the
    /// target's, unless only the merged one is a person's).
    package static func combine(target: Conversation, merged: Conversation) -> Conversation {
        var c = target
        c.tags = Set(target.tags).union(merged.tags).sorted()
        c.attributes = target.attributes.merging(merged.attributes) { kept, _ in kept }
        if target.flowRun == nil, let run = merged.flowRun {
            c.flowRun = run
            c.flowDueAt = merged.flowDueAt
        }
        c.firstInboundAt = min(target.firstInboundAt, merged.firstInboundAt)
        c.lastInboundAt = max(target.lastInboundAt, merged.lastInboundAt)
        if merged.lastInboundAt > target.lastInboundAt {
            c.identity = merged.identity
            c.phoneNumberID = merged.phoneNumberID ?? target.phoneNumberID
        }
        c.unread = target.unread + merged.unread
        c.resolutions = target.resolutions + merged.resolutions
        c.name = target.name ?? merged.name
        c.lastAwayDay = [target.lastAwayDay, merged.lastAwayDay].compactMap { $0 }.max()
        if merged.lastActivityAt > target.lastActivityAt {
            c.lastActivityAt = merged.lastActivityAt
            c.lastMessage = merged.lastMessage
        }
        if target.handling == .bot, merged.handling != .bot {
            c.handling = merged.handling
            c.assignee = merged.assignee
            c.mutedUntil = merged.mutedUntil
        }
        return c
    }

    /// A message that reached a merged identity after the merge: it goes back with the identity.
    package struct ArrivedSince: Sendable {
        package var sent: Double
        package var identity: ChannelIdentity
        package var account: String
        package init(sent: Double, identity: ChannelIdentity, account: String) {
            self.sent = sent
            self.identity = identity
            self.account = account
        }
    }

    /// Both conversations as `unmerge` leaves them: the merged contact's as it was at the merge
    /// plus the `arrived` messages its identities got since (`latest` the newest of them), and
    /// the target's with that taken back (`separate`), its last inbound time the newer of its own
    /// before the merge and `remainingSince` (the newest message still its own since the merge).
    package static func split(
        target current: Conversation, before: Conversation, merged: Conversation, arrived: Int, latest: ArrivedSince?,
        remainingSince: Double?
    ) -> (restored: Conversation, remaining: Conversation) {
        var restored = merged
        if let latest {
            restored.unread += arrived
            if latest.sent > restored.lastInboundAt.timeIntervalSince1970 {
                restored.lastInboundAt = Date(timeIntervalSince1970: latest.sent)
                restored.identity = latest.identity
                restored.phoneNumberID = latest.account
            }
            restored.lastActivityAt = max(restored.lastActivityAt, restored.lastInboundAt)
        }
        var remaining = separate(target: current, before: before, merged: merged)
        remaining.lastInboundAt = max(before.lastInboundAt, remainingSince.map(Date.init(timeIntervalSince1970:)) ?? .distantPast)
        remaining.unread = max(0, remaining.unread - arrived)
        return (restored, remaining)
    }

    /// The target's conversation with what `combine` brought from `merged` taken back, as far as
    /// it is still as the merge left it (what changed since stays).
    package static func separate(target current: Conversation, before: Conversation, merged: Conversation) -> Conversation {
        var c = current
        c.firstInboundAt = before.firstInboundAt
        c.tags = current.tags.filter { before.tags.contains($0) || !merged.tags.contains($0) }
        for (key, value) in merged.attributes where before.attributes[key] == nil && current.attributes[key] == value {
            c.attributes[key] = nil
        }
        if before.flowRun == nil, merged.flowRun != nil, current.flowRun == merged.flowRun {
            c.flowRun = nil
            c.flowDueAt = nil
        }
        if current.identity == merged.identity, current.identity != before.identity {
            c.identity = before.identity
            c.phoneNumberID = before.phoneNumberID
        }
        c.unread = max(0, current.unread - merged.unread)
        c.resolutions = max(before.resolutions, current.resolutions - merged.resolutions)
        if before.name == nil, current.name == merged.name { c.name = nil }
        if before.handling == .bot, merged.handling != .bot, current.handling == merged.handling, current.assignee == merged.assignee {
            c.handling = before.handling
            c.assignee = before.assignee
            c.mutedUntil = before.mutedUntil
        }
        return c
    }

    /// A new WhatsApp number whose first message joins the contact that gave the number is
    /// recorded as this conversation (the one the message would have started) merged into that
    /// contact, so that an unmerge gives the number a contact of its own, as any merge's.
    package static func newcomer(_ message: InboundMessage) -> Conversation {
        Conversation(
            customer: message.identity.key, name: message.customerName, firstInboundAt: message.sentAt, lastInboundAt: message.sentAt,
            phoneNumberID: message.phoneNumberID, identity: message.identity)
    }

    /// A merge record for `newcomer` joining `giver` (see `newcomer(_:)`). `counted` says whether
    /// the giver is counted among the channel's customers already: the newcomer's mark is then
    /// shared, else it moves (back with an unmerge).
    package static func joining(_ message: InboundMessage, giver: Conversation, giverCounted counted: Bool) -> MergeRecord {
        var record = MergeRecord(merged: StoredConversation(newcomer(message)), target: StoredConversation(giver))
        record.identities = [[message.channel, message.sender]]
        let mark = StateRows.Counter.customers(on: message.channel)
        if counted { record.triggersShared = [mark] } else { record.triggersMoved = [mark] }
        return record
    }

    /// A collected phone number in international form as E.164's digits, country code first: what
    /// a WhatsApp id is (`+86 138 0000 0000` and `0086 138 0000 0000` are `8613800000000`). Nil for a
    /// number in national form (`0612 345 678`): which country's it is would be a guess, and the
    /// same digits are different numbers in different countries.
    package static func e164Digits(_ phone: String) -> String? {
        var digits = Substring(phone.filter { $0.isASCII && $0.isNumber })
        // "00" is the international call prefix nearly everywhere; no country code starts with 0.
        if !phone.trimmingCharacters(in: .whitespaces).hasPrefix("+"), digits.hasPrefix("00") { digits = digits.dropFirst(2) }
        guard let first = digits.first, first != "0", (7...15).contains(digits.count) else { return nil }
        return String(digits)
    }
}

/// A fact a flow collected that names the person beyond one channel: the evidence an automatic
/// merge needs (never a name).
package struct ContactEvidence: Sendable, Hashable, Codable {
    package enum Kind: String, Sendable, Codable {
        /// E.164's digits, country code first: matched against WhatsApp ids and the phone numbers
        /// other contacts gave.
        case phone
        /// Lower-cased: matched against the e-mail collected on another contact.
        case email
    }

    package var kind: Kind
    package var value: String

    package init(kind: Kind, value: String) {
        self.kind = kind
        self.value = value
    }

    /// What an answer accepted for `expectation` proves, if anything.
    package static func collected(_ value: String, for expectation: Flow.Expectation) -> ContactEvidence? {
        switch expectation {
        case .phone:
            return ContactMerge.e164Digits(value).map { ContactEvidence(kind: .phone, value: $0) }
        case .email: return ContactEvidence(kind: .email, value: value.lowercased())
        default: return nil
        }
    }
}
