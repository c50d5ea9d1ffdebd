// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials

/// Where the server is in its life. `/live` is 200 in every phase; `/health` only in `.ready`.
public enum ServerPhase: String, Sendable {
    /// Bound and answering probes; the weights are loading or the warm-up step runs.
    case loading
    /// Serving.
    case ready
    /// A shutdown signal arrived: in-flight requests finish, new ones get 503.
    case draining
    /// The model failed to load or the engine died: `/health` stays 503.
    case failed
}
