// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Error {
    /// A readable reason for a file error: FoundationEssentials' `CocoaError`s carry the `POSIXError` underneath
    /// ("No such file or directory"); `localizedDescription` would need full Foundation. Other errors: their
    /// description.
    public var fileErrorReason: String {
        let posix = (self as? CocoaError)?.underlying as? POSIXError ?? self as? POSIXError
        if let posix { return String(cString: strerror(posix.code.rawValue)) }
        return String(describing: self)
    }
}
