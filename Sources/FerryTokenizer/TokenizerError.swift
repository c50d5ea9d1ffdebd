// SPDX-License-Identifier: Apache-2.0

/// Why a tokenizer could not be built.
public enum TokenizerError: Error, Equatable {
    case unreadable(path: String, reason: String)
    case unsupported(String)
}
