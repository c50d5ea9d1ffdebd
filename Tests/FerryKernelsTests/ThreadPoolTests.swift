// SPDX-License-Identifier: Apache-2.0
import CKernelsCPU
import Foundation
import Testing

/// Context layout for `countingTask`: [0] the expected thread count, [1] set when a call saw another count,
/// [2 + i] calls seen by thread i.
private let countingTask: ferry_cpu_task_fn = { context, index, count in
    let slots = context!.assumingMemoryBound(to: Int32.self)
    if count != slots[0] || index < 0 || index >= count { slots[1] = 1; return }
    slots[2 + Int(index)] += 1
}

@Suite struct ThreadPoolTests {
    @Test(arguments: [1, 2, 3, 4])
    func poolRunsATaskExactlyOnceOnEveryThreadManyTimesInARow(threads: Int) throws {
        let pool = try #require(ferry_cpu_pool_create(Int32(threads)))
        defer { ferry_cpu_pool_destroy(pool) }
        #expect(ferry_cpu_pool_size(pool) == Int32(threads))
        let slots = UnsafeMutablePointer<Int32>.allocate(capacity: 2 + threads)
        defer { slots.deallocate() }
        slots.initialize(repeating: 0, count: 2 + threads)
        slots[0] = Int32(threads)
        let runs = 3000
        for i in 0..<runs {
            // Now and then let the workers fall asleep (they spin ~100 µs), so waking them is covered too.
            if i % 1000 == 999 { usleep(2000) }
            ferry_cpu_pool_run(pool, countingTask, slots)
            if i % 250 == 0 {
                for t in 0..<threads { #expect(slots[2 + t] == Int32(i + 1)) }
            }
        }
        #expect(slots[1] == 0)
        for t in 0..<threads { #expect(slots[2 + t] == Int32(runs), "thread \(t)") }
    }

    @Test func aNilPoolRunsTheTaskOnTheCallerAlone() {
        var slots: [Int32] = [1, 0, 0]
        slots.withUnsafeMutableBufferPointer { ferry_cpu_pool_run(nil, countingTask, $0.baseAddress) }
        #expect(slots == [1, 0, 1])
        #expect(ferry_cpu_pool_size(nil) == 1)
    }

    @Test func poolsCanBeDestroyedRightAfterCreationOrOnceTheirWorkersSleep() throws {
        for threads in 1...4 { ferry_cpu_pool_destroy(try #require(ferry_cpu_pool_create(Int32(threads)))) }
        let pool = try #require(ferry_cpu_pool_create(2))
        usleep(5000)
        ferry_cpu_pool_destroy(pool)
        #expect(ferry_cpu_pool_create(0) == nil)
    }

    @Test(arguments: [(100, 16, 3), (7, 1, 2), (0, 4, 2), (5, 16, 4), (1000, 32, 1)])
    func splitRangeHandsOutEveryItemOnceInWholeGranules(count: Int, granule: Int, threads: Int) {
        var next: Int64 = 0
        for t in 0..<threads {
            var begin: Int64 = -1, end: Int64 = -1
            ferry_cpu_split_range(Int64(count), Int64(granule), Int32(t), Int32(threads), &begin, &end)
            #expect(begin == next || begin == end)
            #expect(begin <= end)
            if begin < end {
                #expect(begin % Int64(granule) == 0)
                next = end
            }
        }
        #expect(next == Int64(count))
    }
}
