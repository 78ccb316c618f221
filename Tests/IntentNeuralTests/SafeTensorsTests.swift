import Foundation
import Testing

@testable import IntentNeural

@Suite struct SafeTensorsTests {
    @Test func readsF32F16AndBF16() throws {
        let scratch = try Scratch()
        let values: [Float] = [0, 1, -2.5, 0.333251953125, 65504, -0.0001, 3.0e-5]
        for dtype in ["F32", "F16", "BF16"] {
            try scratch.write("\(dtype).safetensors", bytes: safetensorsBytes([("t", [7], values)], dtype: dtype))
            let file = try SafeTensors(path: scratch.file("\(dtype).safetensors"))
            let weights = try file.floats("t", shape: [7])
            for (i, expected) in values.enumerated() {
                let tolerance: Float = dtype == "F32" ? 0 : abs(expected) / 100 + 1e-6
                #expect(abs(weights[i] - expected) <= tolerance, "\(dtype)[\(i)]: \(weights[i]) vs \(expected)")
            }
        }
    }

    @Test func halfPrecisionEdgeCases() {
        #expect(SafeTensors.half(0x3C00) == 1)
        #expect(SafeTensors.half(0xC000) == -2)
        #expect(SafeTensors.half(0x7C00) == .infinity)
        #expect(SafeTensors.half(0x0001) == Float(Float16(bitPattern: 1)))  // smallest subnormal
        #expect(SafeTensors.half(0x03FF) == Float(Float16(bitPattern: 0x03FF)))  // largest subnormal
        #expect(SafeTensors.half(0x8000).sign == .minus)
    }

    @Test func namesTheProblemInABrokenFile() throws {
        let scratch = try Scratch()
        let good = safetensorsBytes([("a", [2, 3], [1, 2, 3, 4, 5, 6])])
        func error(_ bytes: [UInt8]) throws -> String {
            try scratch.write("w.safetensors", bytes: bytes)
            do {
                let file = try SafeTensors(path: scratch.file("w.safetensors"))
                _ = try file.floats("a", shape: [2, 3])
                return "no error"
            } catch {
                return error.description
            }
        }
        #expect(try error(Array(good.dropLast(4))).contains("past the 20 bytes present (truncated?)"))
        #expect(try error(Array(good.prefix(5))).contains("shorter than its header length"))
        #expect(try error(Array(good.prefix(30))).contains("runs past the end"))
        #expect(try error([8, 0, 0, 0, 0, 0, 0, 0] + Array("not json".utf8)).contains("header is not valid JSON"))
        #expect(try error(safetensorsBytes([("a", [2, 2], [1, 2, 3, 4, 5, 6])])).contains("does not fill its 24 bytes"))
        #expect(try error(safetensorsBytes([("b", [2, 3], [1, 2, 3, 4, 5, 6])])).contains("tensor a is missing"))
        #expect(try error(safetensorsBytes([("a", [3, 2], [1, 2, 3, 4, 5, 6])])).contains("tensor a has shape [3, 2], expected [2, 3]"))
        #expect(try error(good).contains("no error"))
        #expect(try error(good).contains("no error"))
        let message = try error(Array(good.dropLast(4)))
        #expect(message.hasPrefix(scratch.file("w.safetensors")))
    }

    @Test func missingFileIsAnErrorNotACrash() {
        #expect(throws: NeuralModelError.self) { try SafeTensors(path: "/nonexistent/model.safetensors") }
    }
}
