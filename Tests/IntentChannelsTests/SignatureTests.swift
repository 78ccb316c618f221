import Foundation
import Testing

@testable import IntentChannels

@Suite struct SignatureTests {
    @Test func headerIsTheHexHMACOfRFC4231() {
        // RFC 4231, test case 2: key "Jefe".
        #expect(
            WebhookSignature(appSecret: "Jefe").header(for: Array("what do ya want for nothing?".utf8))
                == "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func verifiesTheRawBytesAsSent() {
        let signature = WebhookSignature(appSecret: "app-secret")
        // Meta escapes non-ASCII as \uXXXX: the signature covers exactly these bytes.
        let body = Array(#"{"text":{"body":"\u6211\u8981\u9000\u6b3e"}}"#.utf8)
        let header = signature.header(for: body)
        #expect(signature.verify(body: body, header: header) == .valid)
        #expect(signature.verify(body: body, header: header.uppercased().replacingOccurrences(of: "SHA256=", with: "sha256=")) == .valid)
        // The same JSON re-encoded with the characters themselves is a different body.
        #expect(signature.verify(body: Array(#"{"text":{"body":"我要退款"}}"#.utf8), header: header) == .invalid)
        #expect(signature.verify(body: body, header: nil) == .missing)
        #expect(signature.verify(body: body, header: "") == .missing)
        #expect(signature.verify(body: body, header: "sha1=abc") == .invalid)
        #expect(signature.verify(body: body, header: "sha256=zz") == .invalid)
        #expect(WebhookSignature(appSecret: "other").verify(body: body, header: header) == .invalid)
    }
}
