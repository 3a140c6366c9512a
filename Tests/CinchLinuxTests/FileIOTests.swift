// SPDX-License-Identifier: Apache-2.0
// Outputs are written to a temporary file and renamed: never half-written, never left behind.

import CinchLinux
import CinchModel
import CinchTestSupport
import Foundation
import Testing

@Suite struct FileIOTests {
    func withDirectory(_ body: (String) throws -> Void) throws {
        let directory = try Command.temporaryDirectory("fileio")
        defer { Command.removeDirectory(directory) }
        try body(directory)
    }

    @Test func writesAndReplacesWholeFiles() throws {
        try withDirectory { dir in
            let path = dir + "/profile.json"
            try FileIO.writeAtomically("first\n", to: path)
            try FileIO.writeAtomically("second\n", to: path)
            #expect(try FileIO.read(path) == Array("second\n".utf8))
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["profile.json"], "no temporary left")
        }
    }

    /// A failed write must leave the previous file as it was and no temporary behind.
    @Test func aFailedWriteLeavesTheOldFileAndNoTemporary() throws {
        try withDirectory { dir in
            let path = dir + "/profile.json"
            try FileIO.writeAtomically("good\n", to: path)
            // A target that cannot be replaced (a directory) fails without touching anything else.
            let blocked = dir + "/blocked"
            try FileManager.default.createDirectory(atPath: blocked + "/inside", withIntermediateDirectories: true)
            #expect(throws: InputError.self) { try FileIO.writeAtomically("new\n", to: blocked) }
            #expect(try FileIO.read(path) == Array("good\n".utf8))
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains("cinch-") }
            #expect(leftovers == [])
        }
    }

    /// `-o /dev/null` must write to the device, not rename a regular file over the device node.
    @Test func writesDevicesInPlace() throws {
        try FileIO.writeAtomically("discarded\n", to: "/dev/null")
        var info = stat()
        #expect(stat("/dev/null", &info) == 0)
        #expect((info.st_mode & S_IFMT) == S_IFCHR)
    }

    @Test func refusesToReplaceADirectory() throws {
        try withDirectory { dir in
            #expect(throws: InputError.self) { try FileIO.writeAtomically("x", to: dir) }
        }
    }

    @Test func namesTheFileWhenItCannotBeCreatedOrRead() {
        do {
            try FileIO.writeAtomically("x", to: "/nonexistent-cinch-dir/out.json")
            Issue.record("wrote into a missing directory")
        } catch {
            #expect(error.description.hasPrefix("/nonexistent-cinch-dir/out.json"))
            #expect(error.description.contains("No such file or directory"))
        }
        do {
            _ = try FileIO.read("/nonexistent-cinch-dir/in.json")
            Issue.record("read a missing file")
        } catch {
            #expect(error.description.contains("/nonexistent-cinch-dir/in.json: cannot open"))
        }
    }
}
