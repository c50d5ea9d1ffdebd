// SPDX-License-Identifier: Apache-2.0

/// Why a model could not be loaded. Every case names the file (and tensor, where one is involved).
public enum ModelError: Error, Equatable {
    case unreadable(path: String, reason: String)
}
