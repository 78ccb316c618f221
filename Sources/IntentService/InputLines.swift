#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lines from a file descriptor, handed out as soon as they arrive: each call returns every
/// complete line one `read(2)` made available (at most `limit`), so a program that writes one
/// message and waits for its answer gets it, while a file or a fast pipe still comes in large
/// batches. (`readLine` hides what is already buffered, so waiting for a full batch of it hung
/// a chat bridge that sends one line at a time.) Blocks: call it off Swift concurrency's threads.
final class InputLines {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var ended = false

    init(descriptor: Int32 = 0) { self.descriptor = descriptor }

    /// The next lines (without their line breaks; a final line without one included), or nil at the end.
    func next(limit: Int) -> [String]? {
        while true {
            var lines: [String] = []
            var start = 0
            while lines.count < limit, let newline = buffer[start...].firstIndex(of: 0x0A) {
                var end = newline
                if end > start, buffer[end - 1] == 0x0D { end -= 1 }
                lines.append(String(decoding: buffer[start..<end], as: UTF8.self))
                start = newline + 1
            }
            buffer.removeFirst(start)
            if !lines.isEmpty { return lines }
            if ended {
                guard !buffer.isEmpty else { return nil }
                defer { buffer.removeAll() }
                return [String(decoding: buffer, as: UTF8.self)]
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                buffer.append(contentsOf: chunk[0..<count])
            } else if count == 0 || errno != EINTR {
                ended = true
            }
        }
    }
}
