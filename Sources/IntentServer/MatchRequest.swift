import Foundation
import Hummingbird
import IntentCore

/// The body of `POST /match`.
package struct MatchRequest: Decodable {
    package var message: String
    package var topK: Int?
    var customerID: String?
    var channel: String?
    var language: String?

    enum CodingKeys: String, CodingKey {
        case message
        case topK = "top_k"
        case customerID = "customer_id"
        case channel, language
    }
}

/// The body of `POST /match/batch`.
package struct BatchMatchRequest: Decodable {
    package var messages: [String]
    package var topK: Int?

    enum CodingKeys: String, CodingKey {
        case messages
        case topK = "top_k"
    }
}

/// Reads and validates JSON request bodies, turning every problem into a precise `APIError`.
package struct JSONBodyReader {
    let limits: ServerLimits

    package init(limits: ServerLimits) {
        self.limits = limits
    }

    func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/json") else {
            throw APIError(
                .unsupportedMediaType, "unsupported_media_type",
                "send the body as JSON with the header Content-Type: application/json")
        }
        let buffer = try await BodyCollector.collect(request, limit: limits.maxBodyBytes, timeout: limits.bodyTimeout)
        return try decode(type, bytes: Array(buffer.readableBytesView))
    }

    /// As `decode`, for a body that may be left out: an empty body is nil.
    func decodeOptional<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T? {
        let buffer = try await BodyCollector.collect(request, limit: limits.maxBodyBytes, timeout: limits.bodyTimeout)
        guard buffer.readableBytes > 0 else { return nil }
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/json") else {
            throw APIError(
                .unsupportedMediaType, "unsupported_media_type",
                "send the body as JSON with the header Content-Type: application/json, or no body")
        }
        return try decode(type, bytes: Array(buffer.readableBytesView))
    }

    /// The body's bytes as `T`, or the `APIError` a client gets.
    package func decode<T: Decodable>(_ type: T.Type, bytes: [UInt8]) throws -> T {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw APIError(.badRequest, "invalid_utf8", "the request body is not valid UTF-8")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let DecodingError.keyNotFound(key, _) {
            throw APIError(.badRequest, "missing_field", "the field '\(key.stringValue)' is required")
        } catch let DecodingError.typeMismatch(expected, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw APIError(.badRequest, "wrong_type", "the field '\(field)' must be \(Self.describe(expected))")
        } catch let DecodingError.valueNotFound(expected, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw APIError(.badRequest, "wrong_type", "the field '\(field)' must be \(Self.describe(expected)), not null")
        } catch {
            throw APIError(.badRequest, "invalid_json", "the request body is not valid JSON")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type: return "an integer"
        case is [String].Type: return "a list of strings"
        default: return "of another type (\(type))"
        }
    }

    /// A message must have letters or symbols (not only spaces) and fit the length limit.
    package func validate(message: String, field: String) throws {
        guard !message.allSatisfy(\.isWhitespace) else {
            throw APIError(.badRequest, "empty_message", "'\(field)' must contain text, not only whitespace")
        }
        // Scalars as well as characters: one "a" with 20,000 combining marks is one character.
        let length = limits.length(of: message)
        guard length <= limits.maxMessageCharacters else {
            throw APIError(
                .badRequest, "message_too_long",
                "'\(field)' has \(length) characters (Unicode scalars); the limit is \(limits.maxMessageCharacters)")
        }
    }

    /// A language the caller knows (a web widget's page language, Telegram's `language_code`).
    package func validate(language: String?) throws {
        if let language, !LanguageDetector.isLanguageCode(language) {
            throw APIError(
                .badRequest, "invalid_language", "'language' must be an ISO 639-1 code in lower case, such as es or zh; got '\(language)'")
        }
    }

    package func validate(topK: Int?) throws {
        if let topK, !limits.topKRange.contains(topK) {
            throw APIError(
                .badRequest, "top_k_out_of_range",
                "'top_k' must be between \(limits.topKRange.lowerBound) and \(limits.topKRange.upperBound)")
        }
    }
}
