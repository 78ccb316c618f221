enum SpeedBenchmark { static func run() async throws {} }
