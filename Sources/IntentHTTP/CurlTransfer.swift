import CCurl
import Foundation
import IntentCore

/// One blocking libcurl transfer on a worker's easy handle.
enum Transfer {
    struct Result {
        var outcome: Swift.Result<HTTPResponseData, Error>
        var connections: Int
    }

    /// What the C callbacks write into, passed to them as an unretained pointer that
    /// outlives the transfer (it lives on `perform`'s stack frame until it returns).
    final class Context {
        var body: [UInt8] = []
        var headers: [String: String] = [:]
        let limit: Int
        var tooLarge = false
        /// The watcher ended the transfer: what was read is the answer.
        var stoppedEarly = false
        let job: CurlHTTPClient.Job

        init(limit: Int, job: CurlHTTPClient.Job) {
            self.limit = limit
            self.job = job
        }
    }

    static func perform(
        _ job: CurlHTTPClient.Job, handle: UnsafeMutableRawPointer, configuration: CurlHTTPClient.Configuration
    )
        -> Result
    {
        if job.cancelled.current { return Result(outcome: .failure(HTTPClientError.cancelled), connections: 0) }
        let request = job.request
        // Reset options but keep the handle's live connections and DNS cache.
        curl_easy_reset(handle)
        let context = Context(limit: configuration.maxResponseBytes, job: job)
        let pointer = Unmanaged.passUnretained(context).toOpaque()
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for (name, value) in request.headers { headerList = curl_slist_append(headerList, "\(name): \(value)") }
        // No "Expect: 100-continue" round trip before bodies.
        headerList = curl_slist_append(headerList, "Expect:")

        ccurl_setopt_string(handle, CURLOPT_URL, request.url)
        ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(configuration.connectTimeout))
        ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, milliseconds(request.timeout))
        ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
        ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
        if let ca = configuration.caBundle { ccurl_setopt_string(handle, CURLOPT_CAINFO, ca) }
        ccurl_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, "")
        ccurl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        ccurl_setopt_pointer(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headerList))
        switch request.method {
        case "GET": ccurl_setopt_long(handle, CURLOPT_HTTPGET, 1)
        case "POST": ccurl_setopt_long(handle, CURLOPT_POST, 1)
        default: ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
        }
        let body = request.body ?? []
        if request.body != nil || request.method == "POST" {
            ccurl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            body.withUnsafeBytes { bytes in
                // COPYPOSTFIELDS copies, so the bytes need not outlive this call.
                _ = ccurl_setopt_pointer(
                    handle, CURLOPT_COPYPOSTFIELDS,
                    UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(("" as StaticString).utf8Start)))
            }
        }
        ccurl_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION) { data, size, count, user in
            let context = Unmanaged<Context>.fromOpaque(user!).takeUnretainedValue()
            let length = size * count
            if context.body.count + length > context.limit {
                context.tooLarge = true
                return 0  // aborts the transfer with CURLE_WRITE_ERROR
            }
            guard let data else { return length }
            let chunk = UnsafeRawBufferPointer(start: data, count: length)
            context.body.append(contentsOf: chunk)
            if let watcher = context.job.request.watcher, watcher.received(chunk) {
                context.stoppedEarly = true
                return 0  // ends the transfer (CURLE_WRITE_ERROR), read as a complete answer below
            }
            return length
        }
        ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, pointer)
        ccurl_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION) { data, size, count, user in
            let context = Unmanaged<Context>.fromOpaque(user!).takeUnretainedValue()
            let length = size * count
            if let data {
                let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
                if line.hasPrefix("HTTP/") {
                    context.headers.removeAll()  // a new response (after a redirect or 100-continue)
                } else if let colon = line.firstIndex(of: ":") {
                    let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                    let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
                    context.headers[name] = value
                }
            }
            return length
        }
        ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, pointer)
        ccurl_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
        ccurl_setopt_progress_callback(handle) { user, _, _, _, _ in
            let context = Unmanaged<Context>.fromOpaque(user!).takeUnretainedValue()
            return context.job.cancelled.current ? 1 : 0  // non-zero aborts the transfer
        }
        ccurl_setopt_pointer(handle, CURLOPT_XFERINFODATA, pointer)

        let code = withExtendedLifetime(context) { curl_easy_perform(handle) }
        var connections = 0
        ccurl_getinfo_long(handle, CURLINFO_NUM_CONNECTS, &connections)
        guard code == CURLE_OK || (code == CURLE_WRITE_ERROR && context.stoppedEarly) else {
            return Result(outcome: .failure(error(code, context: context, request: request)), connections: connections)
        }
        var status = 0
        ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return Result(
            outcome: .success(HTTPResponseData(status: status, headers: context.headers, body: context.body)),
            connections: connections)
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1_000 + Int(attoseconds / 1_000_000_000_000_000))
    }

    private static func error(_ code: CURLcode, context: Context, request: HTTPRequestSpec) -> HTTPClientError {
        let detail = String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_OPERATION_TIMEDOUT: return .timedOut(after: request.timeout)
        case CURLE_ABORTED_BY_CALLBACK: return .cancelled
        case CURLE_WRITE_ERROR where context.tooLarge: return .responseTooLarge(limit: context.limit)
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_SSL_CONNECT_ERROR,
            CURLE_PEER_FAILED_VERIFICATION:
            return .connectionFailed(detail)
        case CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE:
            return .connectionDropped(detail)
        default: return .other(detail)
        }
    }
}
