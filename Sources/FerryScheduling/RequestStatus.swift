// SPDX-License-Identifier: Apache-2.0

/// Where a request is in its life, ordered so that "finished" is a range (vLLM `RequestStatus`).
///
/// waiting → running → (preempted → back in the queue → running)* → one of the finished cases. Compare with `<`
/// or use `isFinished`; a finished status maps to OpenAI's `finish_reason` through `finishReason`.
public enum RequestStatus: Int, Sendable, Comparable, CustomStringConvertible {
    /// In the waiting queue, never scheduled (or not since it was added).
    case waiting
    /// Holds KV blocks and is scheduled every step until it finishes or is preempted.
    case running
    /// Lost its blocks to an older request and waits at the front of the queue to be recomputed.
    case preempted
    /// Finished on EOS or a stop token id: `finish_reason: "stop"`.
    case finishedStopped
    /// Finished at `maxTokens` or the model's (or cache's) length cap: `finish_reason: "length"`.
    case finishedLengthCapped
    /// Finished by `Scheduler.abort` (client gone, stop string matched, shutdown): `finish_reason: "abort"`.
    case finishedAborted

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// True for every finished case.
    public var isFinished: Bool { self >= .finishedStopped }

    /// The OpenAI finish reason of a finished status; nil while the request is unfinished.
    public var finishReason: FinishReason? {
        switch self {
        case .waiting, .running, .preempted: nil
        case .finishedStopped: .stop
        case .finishedLengthCapped: .length
        case .finishedAborted: .abort
        }
    }

    public var description: String {
        switch self {
        case .waiting: "waiting"
        case .running: "running"
        case .preempted: "preempted"
        case .finishedStopped: "finished(stop)"
        case .finishedLengthCapped: "finished(length)"
        case .finishedAborted: "finished(abort)"
        }
    }
}

/// Why a request finished, spelled as OpenAI's `finish_reason` (and vLLM's `finished_reason` metric label).
public enum FinishReason: String, Sendable, Hashable, CaseIterable {
    case stop
    case length
    case abort
}
