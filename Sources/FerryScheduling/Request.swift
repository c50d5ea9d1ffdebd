// SPDX-License-Identifier: Apache-2.0

/// A request's id, unique among unfinished requests (e.g. `"cmpl-…-0"`; one id per choice when `n > 1`).
public typealias RequestID = String

/// One generation request as the scheduler sees it: token ids, how far its KV is computed, and its status
/// (vLLM `vllm/v1/request.py`).
///
/// A struct, not a class: a request has no identity beyond `requestId` and owns no resource, so the scheduler keeps
/// the only mutable copy (in its table, on the engine thread) and everyone else gets an immutable snapshot whose
/// token arrays are shared copy-on-write. Its KV blocks are not here: `KVCacheManager` owns every block table (as
/// vLLM does), so ref counts and tables change in one place.
///
/// The API layer builds it (thread of its choice) and hands it to `Scheduler.addRequest`; after that only the
/// scheduler mutates it. `outputTokenIds` grows through one mutator, `appendOutputTokenIds`.
public struct Request: Sendable {
    public let requestId: RequestID
    public let promptTokenIds: [Int]
    /// Sampled tokens, in order, stop token included.
    public private(set) var outputTokenIds: [Int] = []
    /// Prompt then output: the tokens whose KV the request's blocks hold (or will hold).
    public private(set) var allTokenIds: [Int]
    public let samplingParameters: SamplingParameters
    /// Most output tokens (OpenAI `max_tokens`, already resolved against the prompt by the API layer); ≥ 1.
    public let maxTokens: Int
    /// The model's end-of-sequence ids (`generation_config.json` may list several); ignored with `ignoreEos`.
    public let eosTokenIds: Set<Int>
    /// When the request arrived, in seconds of the engine's clock (the one given to the `Scheduler`).
    public let arrivalTime: Double

    /// Lifecycle state; only the scheduler changes it.
    public internal(set) var status: RequestStatus = .waiting
    /// Tokens whose KV is in the request's blocks: prefix-cache hits plus tokens computed by forward passes.
    public internal(set) var numComputedTokens = 0
    /// Prompt tokens served from the prefix cache at first admission (OpenAI `usage.prompt_tokens_details`).
    public internal(set) var numCachedTokens = 0
    /// Times this request lost its blocks and went back to the queue to be recomputed.
    public internal(set) var numPreemptions = 0
    /// The stop token id that finished the request (OpenAI `stop_reason`); nil for EOS, length and abort.
    public internal(set) var stopReason: Int?
    /// When the scheduler first admitted the request (scheduler clock); nil while it has never run.
    public internal(set) var firstScheduledTime: Double?

    /// Creates a waiting request. Validation of lengths against the model and cache happens in
    /// `Scheduler.addRequest`, which throws `SchedulingError`.
    public init(requestId: RequestID, promptTokenIds: [Int], samplingParameters: SamplingParameters = .init(),
                maxTokens: Int, eosTokenIds: Set<Int> = [], arrivalTime: Double = 0)
    {
        self.requestId = requestId
        self.promptTokenIds = promptTokenIds
        self.allTokenIds = promptTokenIds
        self.samplingParameters = samplingParameters
        self.maxTokens = maxTokens
        self.eosTokenIds = eosTokenIds
        self.arrivalTime = arrivalTime
    }

    public var numPromptTokens: Int { promptTokenIds.count }
    public var numOutputTokens: Int { outputTokenIds.count }
    /// Prompt plus output tokens.
    public var numTokens: Int { allTokenIds.count }
    public var isFinished: Bool { status.isFinished }
    /// Seconds between arrival and first admission; nil while it has never run.
    public var queueTime: Double? { firstScheduledTime.map { $0 - arrivalTime } }

    /// Appends sampled tokens to the output (and to `allTokenIds`). The one mutator of the token lists.
    public mutating func appendOutputTokenIds(_ tokenIds: some Sequence<Int>) {
        for tokenId in tokenIds {
            outputTokenIds.append(tokenId)
            allTokenIds.append(tokenId)
        }
    }
}
