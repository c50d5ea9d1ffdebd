// SPDX-License-Identifier: Apache-2.0

/// Why the scheduler refused a request or a configuration. Thrown by `Scheduler.addRequest` and `Scheduler.init`.
///
/// The API layer maps these to HTTP once (in its `APIError`): `queueFull` → 503 with `Retry-After`, the length
/// cases → 400 with vLLM's "maximum context length" message, `duplicateRequestId` → 400 or 409.
public enum SchedulingError: Error, Sendable, Equatable {
    /// The prompt leaves no room for one output token within the model's context:
    /// `numTokens >= maxModelLen` (vLLM's engine-side check, "plus at least 1 output token").
    case promptTooLong(numTokens: Int, maxModelLen: Int)
    /// The prompt leaves no room for one output token in the whole KV cache, even with every block free:
    /// `numTokens >= numCacheTokens` (`(numBlocks - 1) × blockSize`, the null block excluded).
    case promptExceedsCache(numTokens: Int, numCacheTokens: Int)
    /// Admission control: the waiting queue already holds `maxNumQueuedRequests` requests.
    case queueFull(maxNumQueuedRequests: Int)
    /// The prompt has no tokens.
    case emptyPrompt
    /// `maxTokens` must be at least 1.
    case invalidMaxTokens(Int)
    /// An unfinished request already has this id.
    case duplicateRequestId(RequestID)
    /// A `SchedulerConfig` field is out of range; `reason` names it.
    case invalidConfig(reason: String)
}
