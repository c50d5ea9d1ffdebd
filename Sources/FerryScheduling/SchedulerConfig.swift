// SPDX-License-Identifier: Apache-2.0

/// The scheduler's tunables, with vLLM's names and defaults (see `VLLM-COMPAT.md`, "Engine" flags).
///
/// Built once by the CLI (`ferry serve` options) and read by `Scheduler.init`, which validates it.
public struct SchedulerConfig: Sendable, Equatable {
    /// Tokens per KV block (`--block-size`, default 16, vLLM `CacheConfig.DEFAULT_BLOCK_SIZE`).
    public var blockSize = 16
    /// Blocks in the KV cache, the null block 0 included (so `numBlocks - 1` are usable). Measured from
    /// `--kv-cache-memory-bytes` or the memory fraction by the engine; no default.
    public var numBlocks: Int
    /// Most requests running at once, i.e. seats in a step (`--max-num-seqs`, default 256: vLLM's value for GPUs
    /// under 70 GiB; vLLM uses 128 on CPU, and the server may lower it).
    public var maxNumSeqs = 256
    /// Token budget of one step, decodes and prefill chunks together (`--max-num-batched-tokens`, default 2048:
    /// vLLM's value with chunked prefill on small GPUs and per CPU worker).
    public var maxNumBatchedTokens = 2048
    /// Most prompt + output tokens of one request (`--max-model-len`, from the model config; no default).
    public var maxModelLen: Int
    /// Reuse full KV blocks across requests with the same prefix (`--enable-prefix-caching`, default on).
    public var enablePrefixCaching = true
    /// Admission control: most requests in the waiting queue before `addRequest` throws `.queueFull`
    /// (`--max-num-queued-reqs`, vLLM PR #49445). nil (default) = unbounded, as vLLM before that PR.
    public var maxNumQueuedRequests: Int?
    /// Most tokens a prefill takes in one step, so one long prompt cannot take the whole budget
    /// (`--long-prefill-token-threshold`, default 0 = off).
    public var longPrefillTokenThreshold = 0

    public init(numBlocks: Int, maxModelLen: Int) {
        self.numBlocks = numBlocks
        self.maxModelLen = maxModelLen
    }

    /// Usable KV slots: `(numBlocks - 1) × blockSize`.
    public var numCacheTokens: Int { max(0, numBlocks - 1) * blockSize }

    /// Throws `.invalidConfig` naming the first field out of range.
    func validate() throws(SchedulingError) {
        func check(_ ok: Bool, _ reason: String) throws(SchedulingError) {
            if !ok { throw .invalidConfig(reason: reason) }
        }
        try check(blockSize >= 1, "blockSize must be at least 1")
        try check(numBlocks >= 2, "numBlocks must be at least 2 (block 0 is the null block)")
        try check(maxNumSeqs >= 1, "maxNumSeqs must be at least 1")
        try check(maxNumBatchedTokens >= 1, "maxNumBatchedTokens must be at least 1")
        try check(maxModelLen >= 2, "maxModelLen must be at least 2")
        try check((maxNumQueuedRequests ?? 0) >= 0, "maxNumQueuedRequests must not be negative")
        try check(longPrefillTokenThreshold >= 0, "longPrefillTokenThreshold must not be negative")
    }
}
