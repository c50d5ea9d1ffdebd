// SPDX-License-Identifier: Apache-2.0
import Dispatch
import FerryEngine
import FerryKernels
import FerryModel
import FerryOpenAI
import FerryScheduling
import FerryTokenizer
import FoundationEssentials
import Logging

/// Turns `ferry serve`'s model path and flags into a running engine with its tokenizer and chat template.
enum ModelLoading {
    /// - Parameter root: the model as the user named it (a hub id or a path), `/v1/models`' `root`.
    static func load(modelPath: String, root: String? = nil, options: ServeOptions, logger: Logger,
                     metrics: ServerMetrics) throws -> ServingModel
    {
        let selection = try DeviceSelection.open(options.device, threads: options.threads)
        let backend = selection.backend
        logger.info("device", metadata: ["backend": "\(backend.name)", "why": "\(selection.reason)"])
        if backend.deviceMemory == nil, options.gpuMemoryUtilization != nil {
            logger.warning("--gpu-memory-utilization has no effect on the CPU and is ignored")
        }
        let loaded = try LoadedModel.load(path: modelPath, backend: backend)
        let config = loaded.model.config
        let maxModelLen = options.maxModelLen ?? config.maxPositionEmbeddings
        guard maxModelLen <= config.maxPositionEmbeddings else {
            throw ValidationErrorMessage("--max-model-len \(maxModelLen) is longer than the model's "
                + "max_position_embeddings (\(config.maxPositionEmbeddings))")
        }
        let sizing = try KVCacheSizing(
            memoryBytes: try options.kvCacheMemoryBytes ?? gpuKVCacheBudget(loaded.model, options: options,
                                                                             maxModelLen: maxModelLen, logger: logger), fraction: options.kvCacheMemoryFraction,
            bytesPerToken: loaded.model.kvBytesPerToken, blockSize: options.blockSize, maxModelLen: maxModelLen,
            maxNumSeqs: options.maxNumSeqs)
        var scheduling = SchedulerConfig(numBlocks: sizing.numBlocks, maxModelLen: maxModelLen)
        scheduling.blockSize = options.blockSize
        scheduling.maxNumSeqs = options.maxNumSeqs
        scheduling.maxNumBatchedTokens = max(options.maxNumBatchedTokens, options.blockSize)
        scheduling.enablePrefixCaching = options.prefixCaching
        scheduling.maxNumQueuedRequests = options.maxNumQueuedRequests
        logger.info("KV cache", metadata: [
            "blocks": "\(sizing.numBlocks)", "block_size": "\(options.blockSize)",
            "bytes": "\(sizing.bytes)", "dtype": "\(loaded.model.kvCacheDataType)",
            "max_full_length_sequences": "\(sizing.maxFullLengthSequences)", "max_model_len": "\(maxModelLen)",
        ])
        let engine = try Engine(model: loaded.model, configuration: scheduling) { tokens in
            metrics.engineStep(numScheduledTokens: tokens)
        }
        engine.start()
        var defaults = options.generationConfig == "vllm" ? SamplingParameters() : loaded.defaultSamplingParameters
        defaults.seed = nil
        let template = try chatTemplate(options.chatTemplate, tokenizer: loaded.tokenizer, logger: logger)
        logger.info("model loaded", metadata: [
            "model": "\(modelPath)", "architecture": "\(config.modelType)", "layers": "\(config.numHiddenLayers)",
            "threads": "\(backend.numThreads)", "weights_mb": "\(loaded.fileBytes / 1_000_000)",
        ])
        return ServingModel(engine: engine, tokenizer: loaded.tokenizer, chatTemplate: template,
                            eosTokenIds: loaded.eosTokenIds, maxModelLen: maxModelLen, generationDefaults: defaults,
                            root: root ?? modelPath)
    }

    /// On a GPU, the KV cache's bytes: `--gpu-memory-utilization` (default 0.9, the issue's; vLLM's is now 0.92) of
    /// the device's total memory, less what is already used (weights, other processes) and a reserve for the
    /// activations of a full step. vLLM sizes the same way after profiling a forward pass. nil on the CPU.
    static func gpuKVCacheBudget(_ model: TransformerModel, options: ServeOptions, maxModelLen: Int, logger: Logger)
        throws -> Int?
    {
        guard let memory = model.backend.deviceMemory else { return nil }
        let utilization = options.gpuMemoryUtilization ?? 0.9
        let c = model.config
        let tokens = max(options.maxNumBatchedTokens, options.blockSize)
        let perToken = 3 * c.hiddenSize + 4 * c.numAttentionHeads * c.headDim + 2 * c.intermediateSize
        let activations = 4 * tokens * perToken + 2 * tokens * c.intermediateSize * 5 / 4
            + 4 * options.maxNumSeqs * (c.hiddenSize + c.vocabSize)
        let runtimeReserve = 512 << 20  // cuBLAS workspace, the runtime's own allocations, fragmentation
        let allowed = Int(Double(memory.total) * utilization)
        let used = memory.total - memory.free
        let budget = allowed - used - activations - runtimeReserve
        logger.info("GPU memory", metadata: [
            "total_mb": "\(memory.total >> 20)", "used_mb": "\(used >> 20)", "utilization": "\(utilization)",
            "activations_mb": "\(activations >> 20)", "kv_cache_mb": "\(max(budget, 0) >> 20)",
        ])
        guard budget > 0 else {
            throw ValidationErrorMessage("--gpu-memory-utilization \(utilization) leaves no room for the KV cache: "
                + "\(used >> 20) MiB of \(memory.total >> 20) MiB are in use after loading the weights and a step "
                + "needs \((activations + runtimeReserve) >> 20) MiB more; raise --gpu-memory-utilization or lower "
                + "--max-num-batched-tokens / --max-num-seqs")
        }
        return budget
    }

    /// `--chat-template` (a file, or the template itself), else the tokenizer's.
    static func chatTemplate(_ flag: String?, tokenizer: Tokenizer, logger: Logger) throws -> ChatTemplate? {
        var source = tokenizer.chatTemplate
        if let flag {
            source = FileManager.default.fileExists(atPath: flag)
                ? try String(contentsOfFile: flag, encoding: .utf8) : flag
        }
        guard let source else {
            logger.warning("the model has no chat template: /v1/chat/completions will answer 400")
            return nil
        }
        return try ChatTemplate(source: source)
    }

    /// One real step through the engine before `/health` turns 200: pages the weights in and sizes the
    /// workspace, so the first user request is not the slow one.
    static func warmUp(_ model: ServingModel) throws {
        let done = DispatchSemaphore(value: 0)
        var parameters = SamplingParameters()
        parameters.temperature = 0
        parameters.ignoreEos = true
        let request = GenerationRequest(requestId: "ferry-warm-up", promptTokenIds: [model.tokenizer.bosTokenId ?? 0],
                                        samplingParameters: parameters, maxTokens: 2)
        model.engine.submit(request) { event in
            if case .finished = event { done.signal() }
            if case .rejected = event { done.signal() }
        }
        done.wait()
    }
}
