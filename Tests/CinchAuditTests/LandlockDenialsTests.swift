// SPDX-License-Identifier: Apache-2.0
// Naming Landlock denials from the kernel's audit records, only for the domains cinch's own
// processes created.

import CinchAudit
import CinchLinux
import CinchTestSupport
import Testing

@Suite struct LandlockDenialsTests {
    static func log() throws -> [UInt8] { try FileIO.read(Fixture.path("audit/landlock.log")) }

    @Test func namesEachDenialOfTheDomainsOfThePidsOnce() throws {
        let found = LandlockDenials(parsing: try Self.log(), pids: [24514])
        #expect(
            found.denials.map(\.description) == [
                "/etc/ld.so.cache (fs.read_file)", "/etc/hostname (fs.read_file)",
                "/www/cgi-bin/my script (fs.execute,fs.read_file)",
            ])
        #expect(found.foundDomain)
        #expect(found.isComplete, "the domain's deallocated record is in the log")
    }

    /// Other processes' Landlock domains in the same log are not this run's denials.
    @Test(
        arguments: [
            (Int32(777), ["TCP port 18211 on 127.0.0.1 (net.bind_tcp)"]), (888, ["/other (fs.write_file)"]), (1, []),
        ] as [(Int32, [String])])
    func keepsOnlyTheGivenPidsDomains(pid: Int32, expected: [String]) throws {
        let found = LandlockDenials(parsing: try Self.log(), pids: [pid])
        #expect(found.denials.map(\.description) == expected)
        #expect(found.foundDomain == !expected.isEmpty)
        #expect(!found.isComplete, "no deallocated record for this domain")
    }

    @Test func anEmptyLogHasNoDenials() {
        let found = LandlockDenials(parsing: [], pids: [1])
        #expect(found.denials.isEmpty)
        #expect(!found.foundDomain)
    }
}
