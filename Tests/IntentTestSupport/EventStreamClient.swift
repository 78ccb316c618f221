import Foundation
import IntentCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A Server-Sent Events client for the tests and nothing else: `GET path` on 127.0.0.1 over a
/// socket of its own, read on a thread of its own (never one of Swift concurrency's), the head
/// and the events received so far kept for the test to look at.
public final class EventStreamClient: Sendable {
    public struct Event: Sendable, Equatable {
        public var id: String?
        public var type: String
        public var data: String

        /// `data` as a JSON object.
        public var fields: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any] ?? [:]
        }
    }

    private struct State {
        var status: Int?
        var headers: [String: String] = [:]
        var events: [Event] = []
        var comments: [String] = []
        /// Blank-line terminated blocks read (events, comments, `retry:`).
        var blocks = 0
        /// The server ended the stream (or closed the connection).
        var ended = false
    }

    private let state = Locked(State())
    private let socket: Int32

    /// Connects and sends the request; `headers` go with it (`Authorization`, `Last-Event-ID`).
    public init(port: Int, path: String = "/v1/events", method: String = "GET", headers: [String: String] = [:]) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw ClientError("socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(socket)
            throw ClientError("connect to \(port): \(errno)")
        }
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: text/event-stream\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8)
        guard bytes.withUnsafeBytes({ Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else {
            Glibc.close(socket)
            throw ClientError("send: \(errno)")
        }
        let thread = Thread { [self] in read() }
        thread.name = "event-stream-client"
        thread.start()
    }

    /// Ends the connection, as a console leaving does (the reading thread then ends: until the
    /// stream ends, it keeps the client).
    public func close() {
        state.withLock { s in
            if !s.ended { Glibc.shutdown(socket, Int32(SHUT_RDWR)) }
        }
    }

    public var status: Int? { state.current.status }
    /// The response's headers, by lower-case name.
    public var headers: [String: String] { state.current.headers }
    public var events: [Event] { state.current.events }
    /// Comment lines (`: heartbeat`), without the colon.
    public var comments: [String] { state.current.comments }
    public var ended: Bool { state.current.ended }
    /// Something of the stream has arrived (the server's opening `retry:`, or more).
    public var opened: Bool { state.current.blocks > 0 }

    /// The first event `match` accepts, waiting for it (the test fails naming `what` past `limit`).
    public func waitFor(_ what: String, limit: Duration = .seconds(60), _ match: @escaping (Event) -> Bool) async throws -> Event? {
        var found: Event?
        try await eventually(what, limit: limit) {
            found = events.first(where: match)
            return found != nil
        }
        return found
    }

    /// The response's status, waiting for its head.
    public func waitForStatus(limit: Duration = .seconds(60)) async throws -> Int? {
        try await eventually("the response's head", limit: limit) { status != nil || ended }
        return status
    }

    // MARK: Reading

    private func read() {
        var raw: [UInt8] = []
        var body = Body()
        var chunked: Bool?
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.recv(socket, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            raw += buffer[0..<count]
            if chunked == nil {
                guard let end = raw.firstRange(of: Array("\r\n\r\n".utf8)) else { continue }
                let head = String(decoding: raw[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
                var headers: [String: String] = [:]
                for line in head.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                let status = head.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") }
                state.withLock { s in
                    s.status = status
                    s.headers = headers
                }
                chunked = headers["transfer-encoding"]?.lowercased() == "chunked"
                raw.removeSubrange(..<end.upperBound)
            }
            if chunked == true {
                guard body.dechunk(&raw) else { break }
            } else {
                body.text += raw
                raw = []
            }
            let (events, comments, blocks) = body.takeEvents()
            if blocks > 0 {
                state.withLock { s in
                    s.events += events
                    s.comments += comments
                    s.blocks += blocks
                }
            }
        }
        state.withLock { s in
            s.ended = true
            Glibc.close(socket)
        }
    }

    /// The body read so far: the event stream's bytes not parsed yet.
    private struct Body {
        var text: [UInt8] = []

        /// Moves whole chunks from `raw` to `text`; false at the last chunk.
        mutating func dechunk(_ raw: inout [UInt8]) -> Bool {
            while let line = raw.firstRange(of: Array("\r\n".utf8)) {
                let size = Int(String(decoding: raw[..<line.lowerBound], as: UTF8.self).split(separator: ";").first ?? "", radix: 16) ?? 0
                if size == 0 { return false }
                guard raw.count >= line.upperBound + size + 2 else { return true }
                text += raw[line.upperBound..<line.upperBound + size]
                raw.removeSubrange(..<(line.upperBound + size + 2))
            }
            return true
        }

        /// The whole events (blank-line terminated) in `text`, taken out of it.
        mutating func takeEvents() -> (events: [Event], comments: [String], blocks: Int) {
            var events: [Event] = []
            var comments: [String] = []
            var blocks = 0
            while let end = text.firstRange(of: Array("\n\n".utf8)) {
                blocks += 1
                let block = String(decoding: text[..<end.lowerBound], as: UTF8.self)
                text.removeSubrange(..<end.upperBound)
                var event = Event(id: nil, type: "message", data: "")
                var isEvent = false
                for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                    if line.hasPrefix(":") {
                        comments.append(line.dropFirst().trimmingCharacters(in: .whitespaces))
                        continue
                    }
                    let (field, value) = line.firstIndex(of: ":").map { (line[..<$0], line[line.index(after: $0)...]) } ?? (line, "")
                    let trimmed = value.hasPrefix(" ") ? String(value.dropFirst()) : String(value)
                    switch field {
                    case "id": event.id = trimmed
                    case "event":
                        event.type = trimmed
                        isEvent = true
                    case "data":
                        event.data += event.data.isEmpty ? trimmed : "\n" + trimmed
                        isEvent = true
                    default: break
                    }
                }
                if isEvent { events.append(event) }
            }
            return (events, comments, blocks)
        }
    }

    struct ClientError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
