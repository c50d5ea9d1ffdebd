// SPDX-License-Identifier: Apache-2.0
import FerryBasics
import ArgumentParser
import FerryEngine
import FerryKernels
import FerryModel
import FerryScheduling
import FoundationEssentials

/// `ferry bench MODEL`: load time, prefill and decode throughput, each against this machine's limits measured in
/// the same run (STREAM triad bandwidth, OpenBLAS sgemm on the model's shapes).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure load, prefill and decode speed against the machine's limits.")

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Prompt tokens of the prefill measurement.")
    var prefillTokens = 512

    @Option(help: "Tokens decoded per sequence in the decode measurements.")
    var decodeTokens = 128

    @Option(help: "Sequences decoding together in the batched measurement.")
    var batchSize = 16

    func run() throws {
        let backend = try modelOptions.makeBackend()
        let clock = ContinuousClock()
        let loadStart = clock.now
        let loaded = try LoadedModel.load(path: try modelOptions.localModelPath(), backend: backend)
        let loadSeconds = (clock.now - loadStart).inSeconds
        let model = loaded.model
        let config = model.config
        let generator = BatchGenerator(model: model)
        var greedy = SamplingParameters()
        greedy.temperature = 0
        let vocab = config.vocabSize
        func prompt(_ length: Int, salt: Int) -> [Int] {
            (0..<length).map { (($0 &* 7919) &+ salt &* 104_729) % (vocab - 1) + 1 }
        }
        func sequence(_ prompt: [Int], _ maxTokens: Int) -> BatchGenerator.Sequence {
            BatchGenerator.Sequence(promptTokenIds: prompt, parameters: greedy, maxTokens: maxTokens,
                                    stopTokenIds: [])
        }
        print("model: \(modelOptions.model)")
        print("  \(config.modelType) · \(config.numHiddenLayers) layers · hidden \(config.hiddenSize) · "
              + "vocab \(vocab) · \((Double(model.weightBytes) / 1e6).fixed(1)) MB of weights per token")
        print("backend: \(backend.name) · threads: \(backend.numThreads)  (OPENBLAS_CORETYPE=\(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "default"))")
        print("load: \(loadSeconds.fixed(3)) s")

        // Warm-up: page in the weights, size the workspace.
        _ = try generator.generate([sequence(prompt(prefillTokens, salt: 0), 2)])

        let prefill = try generator.generate([sequence(prompt(prefillTokens, salt: 1), 1)]).timings
        let prefillRate = Double(prefillTokens) / prefill.prefillSeconds
        let single = try generator.generate([sequence(prompt(16, salt: 2), decodeTokens)]).timings
        let singleRate = Double(single.decodedTokens) / single.decodeSeconds
        let batch = try generator.generate((0..<batchSize).map { sequence(prompt(16, salt: 3 + $0), decodeTokens) })
            .timings
        let batchRate = Double(batch.decodedTokens) / batch.decodeSeconds
        let peakRSS = ResourceUsage.peakResidentBytes()

        // The machine's limits, measured now: host STREAM triad and OpenBLAS sgemm on the CPU; device-to-device
        // copy bandwidth and the library's GEMM (cuBLAS on CUDA) with the model's weight type on a GPU.
        let shapes = matmulShapes(config: config, tokens: prefillTokens)
        let bandwidth: Double
        let gemm: Double
        let gemmName: String
        if let cpu = backend as? CPUBackend {
            bandwidth = try HardwareProbe.memoryBandwidth(backend: cpu)
            gemm = try HardwareProbe.sgemmThroughput(shapes: shapes, threads: backend.numThreads)
            gemmName = "sgemm"
            print("memory bandwidth (triad): \(bandwidth.fixed(1)) GB/s · sgemm on the prefill shapes: "
                  + "\(gemm.fixed(1)) GFLOP/s")
        } else if let gpu = backend as? GPUBackend {
            let type = model.matrixWeightType
            bandwidth = try gpu.memoryBandwidth()
            gemm = try gpu.gemmThroughput(shapes: shapes, type: type)
            gemmName = gpu.platform == .cuda ? "cuBLAS" : "the library GEMM"
            print("device \(gpu.deviceName): copy bandwidth \(bandwidth.fixed(1)) GB/s"
                + " · \(gemmName) \(type) GEMM on the prefill shapes: \((gemm / 1000).fixed(1)) TFLOP/s")
        } else {
            throw ValidationError("bench does not know the limits of backend \(backend.name)")
        }
        let layerFlops: Double = shapes.reduce(0.0) { $0 + 2.0 * Double($1.m * $1.n * $1.k) }
        // Causal attention: q·k and p·v over on average (tokens + 1) / 2 positions, 2 FLOPs per multiply-add.
        let attentionWidth = Double(config.numAttentionHeads * config.headDim)
        let attentionFlops: Double = 2.0 * attentionWidth * Double(prefillTokens) * Double(prefillTokens + 1)
        let lmHeadFlops = 2.0 * Double(vocab * config.hiddenSize)
        let prefillFlops: Double = Double(config.numHiddenLayers) * (layerFlops + attentionFlops) + lmHeadFlops
        let prefillGflops = prefillFlops / prefill.prefillSeconds / 1e9
        let bound = bandwidth * 1e9 / Double(model.weightBytes)

        print("prefill \(prefillTokens) tokens: \(prefillRate.fixed(1)) tokens/s · \(prefillGflops.fixed(1)) GFLOP/s = "
              + "\((100 * prefillGflops / gemm).fixed(0))% of " + gemmName)
        print("decode batch 1: \(singleRate.fixed(1)) tokens/s = \((100 * singleRate / bound).fixed(0))% of the "
              + "bandwidth bound (\(bound.fixed(1)) tokens/s)")
        print("decode batch \(batchSize): \(batchRate.fixed(1)) tokens/s aggregate = "
              + "\((batchRate / singleRate).fixed(2))× batch 1")
        print("peak RSS: \((Double(peakRSS) / 1e6).fixed(1)) MB "
              + "(\((Double(peakRSS) / Double(loaded.fileBytes)).fixed(2))× the weights)")
    }

    /// (tokens, rows, columns) of every matrix product in one layer.
    func matmulShapes(config: ModelConfig, tokens: Int) -> [(m: Int, n: Int, k: Int)] {
        let q = config.numAttentionHeads * config.headDim
        let kv = config.numKeyValueHeads * config.headDim
        return [(tokens, q, config.hiddenSize), (tokens, kv, config.hiddenSize), (tokens, kv, config.hiddenSize),
                (tokens, config.hiddenSize, q), (tokens, config.intermediateSize, config.hiddenSize),
                (tokens, config.intermediateSize, config.hiddenSize),
                (tokens, config.hiddenSize, config.intermediateSize)]
    }
}
