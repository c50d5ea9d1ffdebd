// SPDX-License-Identifier: Apache-2.0
import Foundation

/// A CA, two server certificates (serials 1001 and 1002, SAN 127.0.0.1 and localhost) and a client certificate,
/// made once per test process with the `openssl` command in a temporary folder.
struct TestCertificates: Sendable {
    let directory: String

    var caCertificate: String { directory + "/ca.pem" }
    var serverCertificate: String { directory + "/server.pem" }
    var serverKey: String { directory + "/server.key" }
    var secondServerCertificate: String { directory + "/server2.pem" }
    var secondServerKey: String { directory + "/server2.key" }
    var clientCertificate: String { directory + "/client.pem" }
    var clientKey: String { directory + "/client.key" }

    static let shared: TestCertificates = {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("ferry-tls-\(ProcessInfo.processInfo.processIdentifier)").path
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let script = """
            set -e
            cd '\(directory)'
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=Ferry Test CA'
            printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > san.ext
            for name in server:1001 server2:1002 client:2001; do
              file=${name%%:*}; serial=${name##*:}
              openssl req -newkey rsa:2048 -nodes -keyout $file.key -out $file.csr -subj "/CN=$file"
              openssl x509 -req -in $file.csr -CA ca.pem -CAkey ca.key -set_serial 0x$serial -days 2 \\
                -extfile san.ext -out $file.pem
            done
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try? process.run()
        process.waitUntilExit()
        precondition(process.terminationStatus == 0, "openssl could not make the test certificates")
        return TestCertificates(directory: directory)
    }()
}
