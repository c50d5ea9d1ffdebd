// SPDX-License-Identifier: Apache-2.0
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on `.locks/models--ORG--NAME/<etag>.lock`, held until released or deinitialized: the lock
/// huggingface_hub's `filelock` takes for the same blob, so two processes sharing a cache (replicas on one volume,
/// a Python tool beside Ferry) never write one file at once.
final class BlobLock {
    private let descriptor: Int32

    /// Takes the lock at `path` (creating the file and its folder); blocks while another process holds it.
    init(path: String) throws(HubError) {
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw BlobFile.error(errno, path: path) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                let code = errno
                close(descriptor)
                throw BlobFile.error(code, path: path)
            }
        }
    }

    deinit { close(descriptor) }  // releases the flock
}

/// A `blobs/<etag>.incomplete` file open for writing (under its `BlobLock`): the file side of the socket layer
/// (POSIX calls only here and in `CurlTransfer`).
final class BlobFile {
    let path: String
    let descriptor: Int32

    /// Opens (creating) `path` for writing.
    init(path: String) throws(HubError) {
        descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Self.error(errno, path: path) }
        self.path = path
    }

    deinit { close(descriptor) }

    /// The bytes in the file now.
    func size() throws(HubError) -> Int64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw Self.error(errno, path: path) }
        return Int64(info.st_size)
    }

    /// Cuts the file to `length` bytes and puts the write position at its end.
    func truncate(to length: Int64) throws(HubError) {
        guard ftruncate(descriptor, off_t(length)) == 0, lseek(descriptor, off_t(length), SEEK_SET) >= 0 else {
            throw Self.error(errno, path: path)
        }
    }

    /// Feeds the file's first `length` bytes to `digest` (the part a resumed download already has).
    func digestPrefix(_ length: Int64, into digest: ContentDigest) throws(HubError) {
        let reader = open(path, O_RDONLY | O_CLOEXEC)
        guard reader >= 0 else { throw Self.error(errno, path: path) }
        defer { close(reader) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var remaining = length
        while remaining > 0 {
            let count = buffer.withUnsafeMutableBytes { read(reader, $0.baseAddress, Int(min(remaining, 1 << 20))) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw Self.error(count < 0 ? errno : EIO, path: path) }
            buffer.withUnsafeBytes { digest.update(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
            remaining -= Int64(count)
        }
    }

    /// Flushes the file to the disk, so a renamed blob survives a crash whole.
    func sync() throws(HubError) {
        guard fsync(descriptor) == 0 else { throw Self.error(errno, path: path) }
    }

    /// rename(2): atomically replaces `destination` (a blob, a link) on one file system.
    static func rename(_ source: String, to destination: String) throws(HubError) {
        guard Glibc.rename(source, destination) == 0 else {
            let code = errno
            unlink(source)
            throw error(code, path: destination)
        }
    }

    /// Bytes free to an unprivileged writer on the file system holding `folder`; nil when unknown.
    static func availableBytes(in folder: String) -> Int64? {
        var info = statvfs()
        guard statvfs(folder, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// Whether an errno means the disk (or the process's file-size limit) is full.
    static func isNoSpace(_ code: Int32) -> Bool {
        code == ENOSPC || code == EDQUOT || code == EFBIG
    }

    /// `errno` as a `HubError` for `path`.
    static func error(_ code: Int32, path: String) -> HubError {
        if isNoSpace(code) { return .diskFull(folder: (path as NSString).deletingLastPathComponent, needed: nil) }
        return .fileSystem(path: path, reason: String(cString: strerror(code)))
    }
}
