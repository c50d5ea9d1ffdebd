// SPDX-License-Identifier: Apache-2.0
import CCurl

/// The digest the hub names a file by, computed while it downloads, through OpenSSL's EVP interface (libcrypto,
/// which libcurl's OpenSSL build already loads).
///
/// LFS files (weights) are named by the sha256 of their content; other files by their git blob id, the sha1 of
/// `"blob <size>\0" + content`. A download is accepted only when its digest equals the name.
/// Not thread-safe: one transfer feeds it from one thread.
final class ContentDigest {
    enum Algorithm: Sendable {
        case sha256
        /// Git's blob id of a file of `size` bytes.
        case gitBlobSHA1(size: Int64)
    }

    private let context: OpaquePointer
    private let algorithm: Algorithm

    init(_ algorithm: Algorithm) {
        self.algorithm = algorithm
        context = EVP_MD_CTX_new()
        reset()
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Starts over, as for a new message.
    func reset() {
        switch algorithm {
        case .sha256:
            EVP_DigestInit_ex(context, EVP_sha256(), nil)
        case .gitBlobSHA1(let size):
            EVP_DigestInit_ex(context, EVP_sha1(), nil)
            update(Array("blob \(size)\u{0}".utf8))
        }
    }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest in lowercase hex. Ends the message: call `reset()` before reusing.
    func hexDigest() -> String {
        var digest = [UInt8](repeating: 0, count: 64)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        let hex = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in digest.prefix(Int(length)) {
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
