import Foundation

/// One parser of outside input, fed arbitrary bytes. A target may throw or return errors as it
/// likes; it must not crash, hang or read out of bounds (the fuzz build runs under the address
/// sanitizer).
struct FuzzTarget: Sendable {
    let name: String
    let run: @Sendable ([UInt8]) -> Void

    static let all: [FuzzTarget] = CorpusTargets.all + ChannelTargets.all + ServerTargets.all + ProviderTargets.all + ModelTargets.all

    static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}

/// A directory of this process for parsers that read files: each input is written to the
/// same few paths, so the file system stays bounded however long the run.
enum Scratch {
    static let directory: String = {
        let path = NSTemporaryDirectory() + "intent-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        // Gone with the process: a run leaves nothing in the temporary directory.
        atexit { try? FileManager.default.removeItem(atPath: Scratch.directory) }
        return path
    }()

    /// Writes `bytes` to `name` in a fresh subdirectory `folder`, and returns the file's path.
    static func write(_ bytes: [UInt8], to name: String, in folder: String = "input") -> String {
        let directory = Self.directory + "/" + folder
        try? FileManager.default.removeItem(atPath: directory)
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }
}

/// Runs async code to completion from the fuzzer's (plain) thread.
func blocking(_ work: @escaping @Sendable () async -> Void) {
    let done = DispatchSemaphore(value: 0)
    Task {
        await work()
        done.signal()
    }
    done.wait()
}
