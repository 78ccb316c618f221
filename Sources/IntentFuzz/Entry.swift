import Foundation

#if FUZZING
// libFuzzer's entry points (built by scripts/fuzz with -sanitize=fuzzer,address). The target
// is named by INTENT_FUZZ_TARGET.
nonisolated(unsafe) private var selected: FuzzTarget?

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    let name = ProcessInfo.processInfo.environment["INTENT_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget.named(name) else {
        FileHandle.standardError.write(Data("INTENT_FUZZ_TARGET must be one of: \(FuzzTarget.all.map(\.name).joined(separator: " "))\n".utf8))
        exit(2)
    }
    selected = target
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    selected?.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

// SwiftPM links an executable target's entry point as `<Target>_main` (and aliases `main` to
// it), so libFuzzer's own `main` is not the one that runs: start its driver from ours.
@_cdecl("IntentFuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var count = argc
    var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return runDriver(&count, &arguments) { data, size in fuzzOne(data, size) }
}
#else
/// Without the fuzzer: replays saved inputs (seed corpora, crash regressions) through their
/// targets, so that the normal test run checks every input a fuzzer ever found.
///
///     intent-fuzz list
///     intent-fuzz replay DIR     (DIR/<target>/<input files>)
@main
struct Replay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        switch arguments.first {
        case "list":
            for target in FuzzTarget.all { print(target.name) }
        case "replay" where arguments.count == 2:
            let root = arguments.last!
            var count = 0
            for target in FuzzTarget.all {
                let directory = root + "/" + target.name
                let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
                for file in files where !file.hasPrefix(".") {
                    guard let data = FileManager.default.contents(atPath: directory + "/" + file) else { continue }
                    target.run(Array(data))
                    count += 1
                }
            }
            print("replayed \(count) inputs through \(FuzzTarget.all.count) targets")
        default:
            FileHandle.standardError.write(Data("usage: intent-fuzz list | intent-fuzz replay DIR\n".utf8))
            exit(2)
        }
    }
}
#endif
