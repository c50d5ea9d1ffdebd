// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// The `process_*` series prometheus_client exports, read from `/proc/self` at scrape time (Linux).
enum ProcessMetrics {
    static let startTime = Date().timeIntervalSince1970

    static func register(in registry: PrometheusRegistry) {
        registry.register("process_resident_memory_bytes", kind: .gauge, help: "Resident memory size in bytes.")
        registry.register("process_virtual_memory_bytes", kind: .gauge, help: "Virtual memory size in bytes.")
        registry.register("process_start_time_seconds", kind: .gauge,
                          help: "Start time of the process since unix epoch in seconds.")
        registry.register("process_open_fds", kind: .gauge, help: "Number of open file descriptors.")
        registry.register("process_max_fds", kind: .gauge, help: "Maximum number of open file descriptors.")
        registry.register("process_cpu_seconds", kind: .counter, help: "Total user and system CPU time spent in seconds.")
        registry.set("process_start_time_seconds", startTime, labels: .init([]))
    }

    static func refresh(in registry: PrometheusRegistry) {
        let none = PrometheusRegistry.Labels([])
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) {
            let pages = statm.split(separator: " ").compactMap { Double($0) }
            let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
            if pages.count > 1 {
                registry.set("process_virtual_memory_bytes", pages[0] * pageSize, labels: none)
                registry.set("process_resident_memory_bytes", pages[1] * pageSize, labels: none)
            }
        }
        if let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            registry.set("process_open_fds", Double(fds.count), labels: none)
        }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            registry.set("process_max_fds", Double(limit.rlim_cur), labels: none)
        }
        var usage = rusage()
        if getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 {
            let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
            registry.set("process_cpu_seconds", user + system, labels: none)
        }
    }
}
