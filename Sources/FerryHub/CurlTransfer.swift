// SPDX-License-Identifier: Apache-2.0
import FerryBasics
import CCurl
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// One HTTP request, as FerryHub needs them: metadata (the API, a HEAD) or a body streamed into a file.
struct TransferRequest: Sendable {
    var url: String
    var isHead = false
    /// Extra request headers (`Authorization` only ever goes to the hub's own host: see `HubClient`).
    var headers: [(name: String, value: String)] = []
    /// Follow 3xx answers. libcurl never sends a custom `Authorization` header to another host while following.
    var followRedirects = false
    /// Bytes already on disk: asks for `Range: bytes=N-` and appends to the file from there.
    var resumeFrom: Int64 = 0
    /// Whole-request limit in seconds (nil: none; the low-speed limit still applies).
    var totalTimeout: Int?
}

/// What came back: the last response's status and headers (names lowercased), and the body when kept in memory.
struct TransferResponse: Sendable {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]
    /// Bytes appended to the destination file (after the resume point, or from 0 when the server sent it all).
    var fileBytes: Int64 = 0
    /// True when the server ignored the Range request and sent the whole file (the file was restarted from 0).
    var restarted = false
}

/// Why a transfer produced no response.
enum TransferFailure: Error, Sendable {
    /// The network failed: worth retrying (connect, DNS, timeout, dropped connection, TLS).
    case network(String)
    /// Writing the body failed with this errno (ENOSPC, EFBIG, EDQUOT, EIO).
    case write(errno: Int32)
    /// A metadata body above the limit.
    case bodyTooLarge(limit: Int)
    /// The server answered a Range request with a 206 for another range.
    case badRange(String)
}

/// The socket layer of FerryHub: libcurl's easy interface, blocking, one handle per transfer.
///
/// libcurl gives, for free, what a download of many gigabytes needs: proxies from `https_proxy`/`no_proxy`,
/// TLS with the system's CA bundle, connect and low-speed timeouts, redirects with the Authorization header
/// withheld from other hosts. (FoundationNetworking's URLSession wraps the same libcurl, but on Linux it offers no
/// low-speed timeout, buffers redirect handling out of reach, and its delegate-based streaming is heavier to run
/// from a plain thread.)
enum CurlTransfer {
    private static let globalInit: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    /// Performs `request`. A body goes to `file` (appended from `request.resumeFrom`, fed to `digest`) when the
    /// status is 2xx and `file` is given, else to memory up to `memoryLimit` bytes.
    /// - Parameter progress: called with the bytes written to the file so far (resume point included).
    static func perform(_ request: TransferRequest, settings: HubSettings, file: Int32? = nil,
                        digest: ContentDigest? = nil, memoryLimit: Int,
                        progress: ((Int64) -> Void)? = nil) throws(TransferFailure) -> TransferResponse
    {
        guard globalInit, let handle = curl_easy_init() else { throw .network("libcurl failed to initialize") }
        defer { curl_easy_cleanup(handle) }
        let state = TransferState(handle: handle, file: file, digest: digest, resumeFrom: request.resumeFrom,
                                  memoryLimit: memoryLimit, progress: progress)
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        var fields = request.headers.map { "\($0.name): \($0.value)" }
        if request.resumeFrom > 0 { fields.append("Range: bytes=\(request.resumeFrom)-") }
        for field in fields { headerList = curl_slist_append(headerList, field) }

        _ = ferry_curl_set_string(handle, CURLOPT_URL, request.url)
        _ = ferry_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = ferry_curl_set_long(handle, CURLOPT_NOBODY, request.isHead ? 1 : 0)
        _ = ferry_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, request.followRedirects ? 1 : 0)
        _ = ferry_curl_set_long(handle, CURLOPT_MAXREDIRS, settings.maxRedirects)
        _ = ferry_curl_set_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = ferry_curl_set_string(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        _ = ferry_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT, settings.connectTimeout)
        _ = ferry_curl_set_long(handle, CURLOPT_LOW_SPEED_LIMIT, settings.lowSpeedBytesPerSecond)
        _ = ferry_curl_set_long(handle, CURLOPT_LOW_SPEED_TIME, settings.lowSpeedSeconds)
        _ = ferry_curl_set_long(handle, CURLOPT_TIMEOUT, request.totalTimeout ?? 0)
        _ = ferry_curl_set_string(handle, CURLOPT_USERAGENT, "ferry; hf_hub-compatible")
        _ = ferry_curl_set_headers(handle, headerList)
        let context = Unmanaged.passUnretained(state).toOpaque()
        _ = ferry_curl_set_pointer(handle, CURLOPT_HEADERDATA, context)
        _ = ferry_curl_set_header_callback(handle) { data, size, count, context in
            guard let data, let context else { return 0 }
            let state = Unmanaged<TransferState>.fromOpaque(context).takeUnretainedValue()
            state.header(UnsafeRawBufferPointer(start: data, count: size * count))
            return size * count
        }
        _ = ferry_curl_set_pointer(handle, CURLOPT_WRITEDATA, context)
        _ = ferry_curl_set_write_callback(handle) { data, size, count, context in
            guard let data, let context else { return 0 }
            let state = Unmanaged<TransferState>.fromOpaque(context).takeUnretainedValue()
            return state.body(UnsafeRawBufferPointer(start: data, count: size * count)) ? size * count : 0
        }
        let code = withExtendedLifetime(state) { curl_easy_perform(handle) }
        if let failure = state.failure { throw failure }
        guard code == CURLE_OK else { throw .network(String(cString: curl_easy_strerror(code))) }
        return TransferResponse(status: ferry_curl_response_code(handle), headers: state.headers, body: state.memory,
                                fileBytes: state.fileBytes, restarted: state.restarted)
    }
}

/// The callbacks' state for one transfer. Used on the thread running `curl_easy_perform` only.
private final class TransferState {
    let handle: UnsafeMutableRawPointer
    let file: Int32?
    let digest: ContentDigest?
    let resumeFrom: Int64
    let memoryLimit: Int
    let progress: ((Int64) -> Void)?
    var headers: [String: String] = [:]
    var memory: [UInt8] = []
    var fileBytes: Int64 = 0
    var restarted = false
    var failure: TransferFailure?
    private var toFile: Bool?

    init(handle: UnsafeMutableRawPointer, file: Int32?, digest: ContentDigest?, resumeFrom: Int64, memoryLimit: Int,
         progress: ((Int64) -> Void)?)
    {
        self.handle = handle
        self.file = file
        self.digest = digest
        self.resumeFrom = resumeFrom
        self.memoryLimit = memoryLimit
        self.progress = progress
    }

    /// One header line; a status line starts a new response (after a redirect or a 100 Continue).
    func header(_ line: UnsafeRawBufferPointer) {
        let text = String(decoding: line, as: UTF8.self).trimmingWhitespace()
        if text.hasPrefix("HTTP/") {
            headers = [:]
            return
        }
        guard let colon = text.firstIndex(of: ":") else { return }
        let name = text[..<colon].lowercased()
        headers[name] = text[text.index(after: colon)...].trimmingWhitespace()
    }

    /// Body bytes. Returns false to abort the transfer (`failure` says why).
    func body(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if toFile == nil, !startBody() { return false }
        guard toFile == true, let file else {
            guard memory.count + bytes.count <= memoryLimit else {
                failure = .bodyTooLarge(limit: memoryLimit)
                return false
            }
            memory.append(contentsOf: bytes)
            return true
        }
        var offset = 0
        while offset < bytes.count {
            let written = write(file, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                failure = .write(errno: errno)
                return false
            }
            offset += written
        }
        digest?.update(bytes)
        fileBytes += Int64(bytes.count)
        progress?((restarted ? 0 : resumeFrom) + fileBytes)
        return true
    }

    /// The first body bytes: decides between the file (2xx) and memory (errors), and checks a resumed range.
    private func startBody() -> Bool {
        let status = ferry_curl_response_code(handle)
        guard file != nil, (200..<300).contains(status) else {
            toFile = false
            return true
        }
        toFile = true
        if resumeFrom > 0 && status == 200 {
            // The server sent the whole file: start the file (and its digest) over.
            restarted = true
            guard ftruncate(file!, 0) == 0, lseek(file!, 0, SEEK_SET) == 0 else {
                failure = .write(errno: errno)
                return false
            }
            digest?.reset()
        } else if status == 206 {
            let range = headers["content-range"] ?? ""
            guard range.hasPrefix("bytes \(resumeFrom)-") else {
                failure = .badRange("asked for bytes \(resumeFrom)-, got '\(range)'")
                return false
            }
        }
        return true
    }
}
