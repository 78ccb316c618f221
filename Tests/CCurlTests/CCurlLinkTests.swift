import CCurl
import Testing

/// The CCurl module links against the system libcurl and its typed wrappers work.
@Suite struct CCurlLinkTests {
    @Test func reportsTheLinkedVersion() {
        let version = String(cString: ccurl_version())
        #expect(version.split(separator: ".").count >= 2, "unexpected version \(version)")
        #expect(ccurl_features() & CURL_VERSION_SSL != 0, "libcurl built without TLS")
    }

    @Test func typedSetoptWrappersAcceptOptions() throws {
        let handle = try #require(curl_easy_init())
        defer { curl_easy_cleanup(handle) }
        #expect(ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1) == CURLE_OK)
        #expect(ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, 1_000) == CURLE_OK)
        #expect(ccurl_setopt_string(handle, CURLOPT_URL, "http://127.0.0.1:9/") == CURLE_OK)
        var code = 0
        #expect(ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK)
        #expect(code == 0)
    }
}
