import Foundation
import IntentChannels
import Testing

/// The timeline's part of the `ConversationStore` contract: what a bot's answer came from (the
/// entry or rule, and the score) and a media message's caption, stored and read back.
extension ConversationStoreContract {
    static func keepsAnswerBasesAndCaptions(_ store: any ConversationStore) async throws {
        let question = {
            var question = message("b-1", customer: "b", text: "where is my parcel")
            question.language = "pt-br"
            return question
        }()
        let photo = {
            var photo = message("b-2", customer: "b", text: nil, at: 1)
            photo.caption = "the box arrived broken 箱子坏了"
            return photo
        }()
        _ = try await store.receive([question, photo], statuses: [], at: t0)
        #expect(try await store.unprocessed(limit: 10).first { $0.id == "b-2" }?.caption == photo.caption)
        // The language the customer's app reported is kept with the message.
        #expect(try await store.unprocessed(limit: 10).map(\.language) == ["pt-br", nil])

        let entry = AnswerBasis(entry: "track", rule: nil, score: 0.8125)
        let rule = AnswerBasis(entry: nil, rule: "human_handover", score: nil)
        let answered = try await store.process(question, at: t0) { existing in
            let conversation = existing ?? Conversation(customer: "b", firstInboundAt: t0, lastInboundAt: t0)
            return ConversationPlan(
                conversation: conversation,
                replies: [.text("Track it online.", quoting: question.id, basis: entry), .text("Hello!", origin: .automation)],
                triggers: [])
        }
        #expect(answered)
        #expect(
            try await store.process(photo, at: t0.addingTimeInterval(1)) { existing in
                ConversationPlan(
                    conversation: existing, replies: [.text("A colleague takes over.", quoting: photo.id, origin: .automation, basis: rule)],
                    triggers: [])
            })
        // Read back by the sender too: an item is the draft that was planned.
        let due = try await store.dueOutbox(now: t0.addingTimeInterval(5), limit: 10).filter { $0.customer == "b" }
        #expect(due.map(\.draft.basis) == [entry])

        let timeline = try await store.timeline(customer: "b", before: nil, limit: 10)
        let bot = try #require(timeline.first { $0.text == "Track it online." })
        #expect(bot.kind == "bot" && bot.basis == entry)
        #expect(timeline.first { $0.text == "Hello!" }?.basis == nil, "no basis where none was planned")
        #expect(timeline.first { $0.text == "A colleague takes over." }?.basis == rule)
        let media = try #require(timeline.first { $0.id == "in:b-2" })
        #expect(media.type == "image" && media.text == nil && media.caption == photo.caption)
        #expect(timeline.first { $0.id == "in:b-1" }?.caption == nil)
        // The list's preview shows the caption after the media's type.
        let video = {
            var video = message("b-3", customer: "b", text: nil, at: 2)
            video.type = "video"
            video.caption = "see"
            return video
        }()
        _ = try await store.receive([video], statuses: [], at: t0.addingTimeInterval(2))
        #expect(try await store.process(video, at: t0.addingTimeInterval(2)) { ConversationPlan(conversation: $0, replies: [], triggers: []) })
        #expect(try await store.conversation(customer: "b")?.lastMessage == "[video] see")
    }
}
