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
        let backend = CPUBackend(numThreads: options.threads)
        let loaded = try LoadedModel.load(path: modelPath, backend: backend)
        let config = loaded.model.config
        let maxModelLen = options.maxModelLen ?? config.maxPositionEmbeddings
        guard maxModelLen <= config.maxPositionEmbeddings else {
            throw ValidationErrorMessage("--max-model-len \(maxModelLen) is longer than the model's "
                + "max_position_embeddings (\(config.maxPositionEmbeddings))")
        }
        let sizing = try KVCacheSizing(
            memoryBytes: options.kvCacheMemoryBytes, fraction: options.kvCacheMemoryFraction,
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
