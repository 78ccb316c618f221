import Testing

@testable import IntentChannels

@Suite struct SignatureTests {
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() }

    @Test func sha256KnownAnswers() {
        #expect(Self.hex(SHA256.hash(Array("".utf8))) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Self.hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // Two blocks, and a length that pads into a second block.
        #expect(
            Self.hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            Self.hex(SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func hmacRFC4231() {
        // Test case 2 and test case 6 (a key longer than the block).
        #expect(
            Self.hex(HMACSHA256.authenticationCode(for: Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(
            Self.hex(
                HMACSHA256.authenticationCode(
                    for: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8), key: [UInt8](repeating: 0xaa, count: 131)))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
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
