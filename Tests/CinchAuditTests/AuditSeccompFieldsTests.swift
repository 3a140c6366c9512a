// SPDX-License-Identifier: Apache-2.0
// The kernel-layout reader of SECCOMP records gives what the general field walk gives, or nothing.

import Testing

@testable import CinchAudit

/// Both readers on one record body (as the parser passes it: from the space after `):`).
private func read(_ body: [UInt8]) -> (layout: SeccompFields?, walk: Result<SeccompFields, SeccompFields.Missing>) {
    // A buffer of its own (one byte more, so even an empty body has an address).
    let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: body.count + 1)
    defer { storage.deallocate() }
    storage.initialize(repeating: 0, count: body.count + 1)
    for (index, byte) in body.enumerated() { storage[index] = byte }
    let line = AuditLine(base: storage, count: body.count)
    return (
        SeccompFields.readKernelLayout(line, from: 0, to: body.count),
        SeccompFields.walk(line, from: 0, to: body.count)
    )
}

private func read(_ body: String) -> (layout: SeccompFields?, walk: Result<SeccompFields, SeccompFields.Missing>) {
    read(Array(body.utf8))
}

/// A small deterministic generator (xorshift64*), so a failure names a reproducible case.
private struct Xorshift {
    var state: UInt64
    mutating func next(_ bound: Int) -> Int {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return Int((state &* 0x2545_F491_4F6C_DD1D) >> 33) % bound
    }
}

@Suite struct AuditSeccompFieldsTests {
    static let kernelBodies = [
        // auditd, quoted exe, AppArmor's subj
        #" auid=4294967295 uid=0 gid=0 ses=4294967295 subj=unconfined pid=4242 comm="probe" exe="/usr/bin/probe" sig=0 arch=c000003e syscall=257 compat=0 ip=0x7f3ab1d1f829 code=0x7ffc0000"#,
        // no LSM: no subj; hex-encoded comm and exe (a path with a space)
        " auid=1000 uid=1000 gid=1000 ses=3 pid=7 comm=6D7920617070 exe=2F6F70742F6D79206170702F62696E2F736572766572 sig=0 arch=40000003 syscall=20 compat=1 ip=0xf7f1c549 code=0x7ffc0000",
        // x32 number, SELinux-style context
        #" auid=0 uid=0 gid=0 ses=1 subj=system_u:system_r:container_t:s0:c1,c2 pid=2147483647 comm="a" exe="/b" sig=31 arch=c000003e syscall=1073741863 compat=0 ip=0x0 code=0x80000000"#,
        // a negative syscall number (the kernel logs -1 for a bad number)
        #" auid=0 uid=0 gid=0 ses=1 pid=1 comm="x" exe="/x" sig=0 arch=c000003e syscall=-1 compat=0 ip=0x1 code=0x7ffc0000"#,
        // no leading space (the walk skips spaces; so does the layout, once)
        #"auid=0 uid=0 gid=0 ses=1 pid=1 comm="x" exe="/x" sig=0 arch=c000003e syscall=0 compat=0 ip=0x1 code=0x7ffc0000"#,
        // auditd's enriched part after 0x1D
        " auid=0 uid=0 gid=0 ses=1 pid=9 comm=\"x\" exe=\"/x\" sig=0 arch=c000003e syscall=39 compat=0 ip=0x1 code=0x7ffc0000\u{1D}ARCH=x86_64 SYSCALL=getpid AUID=\"unset\"",
        // a quoted exe with a space inside (the kernel would hex-encode it): one value either way
        #" auid=0 uid=0 gid=0 ses=1 pid=1 comm="x" exe="/a b" sig=0 arch=c000003e syscall=0 compat=0 ip=0x1 code=0x7ffc0000"#,
        // an empty quoted comm and an empty subj
        #" auid=0 uid=0 gid=0 ses=1 subj= pid=5 comm="" exe="/x" sig=0 arch=c000003e syscall=0 compat=0 ip=0x1 code=0x7ffc0000"#,
    ]

    /// Every shape the kernel writes is read by the layout, with the walk's exact fields.
    @Test(arguments: kernelBodies)
    func kernelLayoutEqualsTheWalk(body: String) throws {
        let (layout, walk) = read(body)
        let fields = try #require(layout, "the kernel's own layout was not recognised")
        #expect(walk == .success(fields))
    }

    @Test func readsTheValuesItself() throws {
        let (layout, _) = read(Self.kernelBodies[1])
        let fields = try #require(layout)
        #expect(fields.pid == 7)
        #expect(fields.arch == 0x4000_0003)
        #expect(fields.number == 20)
        let exe = try #require(fields.exe)
        let text = Array(Self.kernelBodies[1].utf8)[exe]
        #expect(String(decoding: text, as: UTF8.self) == "2F6F70742F6D79206170702F62696E2F736572766572")
        #expect(read(Self.kernelBodies[3]).layout?.number == -1)
    }

    /// Bodies out of the layout are left to the walk, which may still take them or name what is missing.
    @Test(
        arguments: [
            // fields in another order
            (
                #" pid=1 auid=0 uid=0 gid=0 ses=1 comm="x" exe="/x" sig=0 arch=c000003e syscall=0 compat=0 ip=0x1 code=0x7ffc0000"#,
                nil
            ),
            // a field after code=: the last pid= wins in the walk
            (
                #" auid=0 uid=0 gid=0 ses=1 pid=1 comm="x" exe="/x" sig=0 arch=c000003e syscall=0 compat=0 ip=0x1 code=0x7ffc0000 pid=2"#,
                nil
            ),
            // two spaces
            (
                #" auid=0 uid=0 gid=0 ses=1 pid=1  comm="x" exe="/x" sig=0 arch=c000003e syscall=0 compat=0 ip=0x1 code=0x7ffc0000"#,
                nil
            ),
            // arch with a 0x prefix
            (
                #" auid=0 uid=0 gid=0 ses=1 pid=1 comm="x" exe="/x" sig=0 arch=0xc000003e syscall=0 compat=0 ip=0x1 code=0x7ffc0000"#,
                nil
            ),
            // cut after syscall=
            (#" auid=0 uid=0 gid=0 ses=1 pid=1 comm="x" exe="/x" sig=0 arch=c000003e syscall=0"#, "compat="),
            // a quote left open in comm closes at exe's opening quote: the walk reads on without exe=
            (
                #" auid=0 uid=0 gid=0 ses=1 pid=1 comm="x exe="/x sig=0 arch=c000003e syscall=0 compat=0 ip=0x1 code=0x7ffc0000"#,
                nil
            ),
            // a quote never closed swallows the rest
            (#" auid=0 uid=0 gid=0 ses=1 pid=1 comm=x exe="/x sig=0 arch=c000003e syscall=0 compat=0"#, "arch="),
            // a quote never closed after compat=: the line was cut
            (
                #" auid=0 uid=0 gid=0 ses=1 pid=1 comm=x exe=/x sig=0 arch=c000003e syscall=0 compat=0 ip="0x1"#,
                "compat="
            ),
            // pid beyond Int32
            (
                #" auid=0 uid=0 gid=0 ses=1 pid=2147483648 comm="x" exe="/x" sig=0 arch=c000003e syscall=0 compat=0 ip=0x1 code=0x7ffc0000"#,
                "pid="
            ),
            // 0x1D inside comm: the body ends there
            (
                " auid=0 uid=0 gid=0 ses=1 pid=1 comm=\"x\u{1D}\" exe=\"/x\" sig=0 arch=c000003e syscall=0 compat=0 ip=0x1 code=0x7ffc0000",
                "arch="
            ),
        ] as [(String, String?)])
    func otherBodiesGoToTheWalk(body: String, missing: String?) {
        let (layout, walk) = read(body)
        #expect(layout == nil)
        switch walk {
        case .success: #expect(missing == nil)
        case .failure(let failure): #expect(failure.field == missing)
        }
    }

    /// Thousands of one- to three-byte edits of real bodies (spaces, quotes, `=`, 0x1D, digits,
    /// letters, cuts): whenever the layout reader takes one, the walk takes it with the same fields.
    @Test func editedBodiesNeverDisagree() {
        let alphabet: [UInt8] = Array(" \"=\u{1D}-x0123456789abcdefABCDEF/".utf8) + [0x80, 0xFF]
        var random = Xorshift(state: 0x9E37_79B9_7F4A_7C15)
        var taken = 0
        var refused = 0
        for round in 0..<30_000 {
            var body = Array(Self.kernelBodies[round % Self.kernelBodies.count].utf8)
            for _ in 0...random.next(3) {
                let position = random.next(body.count + 1)
                switch random.next(4) {
                case 0: body.insert(alphabet[random.next(alphabet.count)], at: position)
                case 1: if position < body.count { body.remove(at: position) }
                case 2: if position < body.count { body[position] = alphabet[random.next(alphabet.count)] }
                default: body.removeSubrange(min(position, body.count)...)
                }
            }
            let (layout, walk) = read(body)
            guard let layout else {
                refused += 1
                continue
            }
            taken += 1
            if walk != .success(layout) {
                Issue.record("round \(round): \(String(decoding: body, as: UTF8.self).debugDescription)")
                return
            }
        }
        // Both paths were exercised many times.
        #expect(taken > 1_000)
        #expect(refused > 1_000)
    }
}
