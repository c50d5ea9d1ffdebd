// SPDX-License-Identifier: Apache-2.0

extension Request {
    /// The finished status the newest output token puts this request in, or nil to keep going (vLLM
    /// `check_stop` in `vllm/v1/core/sched/utils.py`).
    ///
    /// Called by `Scheduler.update` on the engine thread right after a token is appended. Order: below `minTokens`
    /// only the hard length cap can finish; then EOS (unless `ignoreEos`) → stop; then a stop token id → stop with
    /// `stopReason`; then `maxTokens` or `maxNumTokens` → length. Stop strings are the API layer's job (it calls
    /// `Scheduler.abort`), because they need detokenized text.
    /// - Parameter maxNumTokens: the most prompt + output tokens a request may hold: `min(maxModelLen, cache size)`.
    /// - Returns: the finished status and the stop token id that matched (nil for EOS and length).
    func stopCondition(maxNumTokens: Int) -> (status: RequestStatus, stopReason: Int?)? {
        guard let lastTokenId = outputTokenIds.last else { return nil }
        if numOutputTokens >= samplingParameters.minTokens {
            if !samplingParameters.ignoreEos && eosTokenIds.contains(lastTokenId) {
                return (.finishedStopped, nil)
            }
            if samplingParameters.stopTokenIds.contains(lastTokenId) {
                return (.finishedStopped, lastTokenId)
            }
        }
        if numTokens >= maxNumTokens || numOutputTokens >= maxTokens {
            return (.finishedLengthCapped, nil)
        }
        return nil
    }
}
