import Crypto
import Foundation

/// Meta's `X-Hub-Signature-256` check: `sha256=` and the hex HMAC-SHA256 of the raw request
/// body under the app secret.
///
/// The body is checked exactly as received. Meta signs the bytes it sends (non-ASCII escaped
/// as `\uXXXX`), so decoding and re-encoding the JSON first would break every signature.
package struct WebhookSignature: Sendable {
    package enum Verdict: Sendable, Equatable {
        case valid
        /// No signature header: 401.
        case missing
        /// A signature that does not verify (or is malformed): 403.
        case invalid
    }

    private let key: SymmetricKey

    package init(appSecret: String) {
        key = SymmetricKey(data: Array(appSecret.utf8))
    }

    private func code(for body: [UInt8]) -> HMAC<SHA256>.MAC {
        HMAC<SHA256>.authenticationCode(for: body, using: key)
    }

    package func verify(body: [UInt8], header: String?) -> Verdict {
        guard let header, !header.isEmpty else { return .missing }
        guard header.hasPrefix("sha256="), let given = Self.bytes(hex: header.dropFirst("sha256=".count)), given.count == 32 else {
            return .invalid
        }
        // The MAC's own comparison runs in constant time.
        return code(for: body) == Data(given) ? .valid : .invalid
    }

    /// The header value Meta would send for this body (tests, the tour in docs/whatsapp.md, benchmarks).
    package func header(for body: [UInt8]) -> String {
        "sha256="
            + code(for: body).map { byte in
                let digits = Array("0123456789abcdef")
                return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
            }.joined()
    }

    private static func bytes(hex: Substring) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
