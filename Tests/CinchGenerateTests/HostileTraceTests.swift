// SPDX-License-Identifier: Apache-2.0
// A trace file is input cinch does not trust: its names must never shape the profile's structure.

import CinchGenerate
import CinchModel
import Foundation
import Testing

@Suite struct HostileTraceTests {
    func trace(naming names: [String]) -> Trace {
        var trace = Trace(source: .init(kind: "ptrace"))
        var record = Trace.ABIRecord()
        for name in names { record.syscalls[name] = .init(count: 1) }
        trace.abis[.x86_64] = record
        return trace
    }

    @Test(arguments: [
        #"read", "action": "SCMP_ACT_ALLOW"#, "../../etc/passwd", "READ", "", "read\nwrite", "r\u{0}ead",
        String(repeating: "a", count: 65), "ptrace ", "mount,umount2",
    ])
    func rejectsNamesThatAreNotSyscallNames(name: String) throws {
        let result = SeccompProfileGenerator.generate(from: [trace(naming: ["read", name])])
        let error = try #require(result.diagnostics.first { $0.id == "generate.invalid-syscall-name" })
        #expect(error.severity == .error)
        let allowed = result.profile.syscalls.flatMap(\.names)
        #expect(!allowed.contains(name))
        #expect(allowed.contains("read"))
        // Whatever the name held, the rendered profile has exactly the keys cinch writes.
        let rendered = result.profile.jsonValue().rendered()
        #expect(!rendered.contains("passwd"))
        #expect(rendered.components(separatedBy: "\"action\"").count - 1 == result.profile.syscalls.count)
    }

    @Test func acceptsEveryRealSyscallNameShape() {
        for name in ["read", "io_uring_setup", "_llseek", "epoll_pwait2", "clock_gettime64"] {
            #expect(SeccompProfileGenerator.isSyscallName(name), "\(name)")
        }
    }
}
