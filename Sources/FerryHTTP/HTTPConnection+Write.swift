// SPDX-License-Identifier: Apache-2.0
import Dispatch

/// Bytes waiting for the socket, in order, as the buffers they were written in (gathered by `writev`).
struct WriteQueue {
    private var chunks: [[UInt8]] = []
    private var head = 0
    /// Bytes of `chunks[head]` already written.
    private(set) var firstOffset = 0
    private(set) var totalBytes = 0

    var isEmpty: Bool { totalBytes == 0 }

    /// The chunks not fully written, the first from `firstOffset`.
    var pending: ArraySlice<[UInt8]> { chunks[head...] }

    mutating func append(_ chunk: [UInt8]) {
        guard !chunk.isEmpty else { return }
        chunks.append(chunk)
        totalBytes += chunk.count
    }

    /// Drops `count` written bytes from the front.
    mutating func consume(_ count: Int) {
        totalBytes -= count
        var rest = count
        while rest > 0 {
            let available = chunks[head].count - firstOffset
            if rest < available {
                firstOffset += rest
                return
            }
            rest -= available
            head += 1
            firstOffset = 0
        }
        if head == chunks.count {
            chunks.removeAll(keepingCapacity: chunks.capacity <= 16)
            head = 0
        } else if head >= 64 {
            chunks.removeFirst(head)
            head = 0
        }
    }

    mutating func removeAll() {
        self = WriteQueue()
    }
}

extension HTTPConnection {
    // MARK: - From writers to the socket

    /// Moves what `writer` queued onto the socket; when its response ended, moves on to the next request.
    ///
    /// Called on the loop: right after the responder returns, and from hops scheduled by writes on other threads.
    /// - Parameter resumesParsing: parse pipelined requests after a finished response (false inside `dispatch`,
    ///   whose caller's loop does that).
    func flushWriter(_ writer: HTTPResponseWriter, resumesParsing: Bool) {
        guard !machine.isClosed, writer === currentWriter else { return }
        let taken = writer.takeOutbox()
        for chunk in taken.chunks { writeQueue.append(chunk) }
        flushSocket()
        guard taken.isEnd, !machine.isClosed else { return }
        currentWriter = nil
        if !taken.finishCallbacks.isEmpty {
            let summary = writer.summary()
            for callback in taken.finishCallbacks { callback(summary) }
        }
        let now = ContinuousClock.now
        let keepAlive = taken.keepAlive && !context.isDraining
        switch machine.responseFinished(keepAlive: keepAlive, now: now) {
        case .readNextRequest:
            resumeReading()
            if resumesParsing { processBuffered(now: now) }
        case .closeAfterWrite:
            resumeReading()  // keep reading (and discarding) so the client is not reset before it reads
            if writeQueue.isEmpty { allWritten() }
        }
    }

    /// A handler dropped its writer without finishing: answer 500 when no head went out, else close.
    func writerAbandoned(headWritten: Bool) {
        guard !machine.isClosed, machine.state == .responding, currentWriter == nil else { return }
        if headWritten {
            close()
        } else {
            respondAndClose(.error(.internalServerError, message: "The handler produced no response."))
        }
    }

    // MARK: - Socket writes

    /// Writes queued bytes until the queue is empty or the socket is full (then waits on the write source).
    func flushSocket() {
        while !writeQueue.isEmpty {
            let result: IOResult
            do {
                result = try Posix.writev(fd, writeQueue.pending, firstOffset: writeQueue.firstOffset)
            } catch {
                close()
                return
            }
            switch result {
            case .processed(let count):
                writeQueue.consume(count)
                machine.writeProgressed()
            case .wouldBlock, .endOfFile:
                machine.writeBlocked(now: .now)
                enableWriteSource()
                writeQueueChanged(to: writeQueue.totalBytes)
                return
            }
        }
        disableWriteSource()
        writeQueueChanged(to: 0)
        allWritten()
    }

    /// Everything queued is on the wire: a closing connection shuts down its sending side and lingers.
    private func allWritten() {
        guard !machine.isClosed, machine.allWritten(now: .now) else { return }
        Posix.shutdownWrite(fd)
    }

    private func enableWriteSource() {
        if writeSource == nil {
            let source = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: loop.queue)
            source.setEventHandler { [unowned self] in writable() }
            source.setCancelHandler { [self] in sourceCancelled() }
            writeSource = source
            addPendingCancellation()
        }
        if !isWriteSourceResumed, let writeSource {
            writeSource.resume()
            isWriteSourceResumed = true
        }
    }

    private func disableWriteSource() {
        if isWriteSourceResumed, let writeSource {
            writeSource.suspend()
            isWriteSourceResumed = false
        }
    }

    private func writable() {
        guard !machine.isClosed else { return }
        flushSocket()
    }
}
