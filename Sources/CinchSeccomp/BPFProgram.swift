// SPDX-License-Identifier: Apache-2.0
// A classic-BPF interpreter for seccomp filters: what the kernel would answer, without loading it.

public import CinchModel

/// The input of a seccomp filter, `struct seccomp_data`: 64 bytes the filter reads words from.
public struct SeccompData: Sendable, Hashable {
    /// The syscall number, as the kernel reports it (x32 numbers carry `__X32_SYSCALL_BIT`).
    public var number: Int32
    /// The `AUDIT_ARCH_*` value of the entry (x32 calls report `AUDIT_ARCH_X86_64`).
    public var architecture: UInt32
    /// The instruction pointer at the syscall.
    public var instructionPointer: UInt64
    /// The six argument registers.
    public var arguments: [UInt64]

    /// Creates an input; missing arguments are 0, extra ones are ignored.
    public init(number: Int32, architecture: UInt32, instructionPointer: UInt64 = 0, arguments: [UInt64] = []) {
        self.number = number
        self.architecture = architecture
        self.instructionPointer = instructionPointer
        self.arguments = Array((arguments + Array(repeating: 0, count: 6)).prefix(6))
    }

    /// The input for syscall `number` of `abi` with `arguments`.
    ///
    /// x32 calls enter through the x86-64 entry, so they report `AUDIT_ARCH_X86_64` with the x32
    /// bit in the number (libseccomp's x32 numbers already carry it).
    public init(abi: Architecture, number: Int32, arguments: [UInt64] = []) {
        let entry = abi == .x32 ? Architecture.x86_64 : abi
        self.init(number: number, architecture: entry.auditArch, arguments: arguments)
    }

    /// The size of `struct seccomp_data`.
    public static let size: UInt32 = 64

    /// The 32-bit word at byte `offset` (a multiple of 4 below 64) in a machine of `byteOrder`.
    func word(at offset: UInt32, byteOrder: BPFProgram.ByteOrder) -> UInt32 {
        switch offset {
        case 0: return UInt32(bitPattern: number)
        case 4: return architecture
        default:
            let value = offset < 16 ? instructionPointer : arguments[Int(offset - 16) / 8]
            // The low half comes first in memory on a little-endian machine.
            let isLowHalf = (offset % 8 == 0) == (byteOrder == .little)
            return UInt32(truncatingIfNeeded: isLowHalf ? value : value >> 32)
        }
    }
}

/// A seccomp filter's return value: an action in the high 16 bits and data (an errno, a trace
/// message) in the low 16.
public struct SeccompReturn: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The 32-bit value the filter returned.
    public var rawValue: UInt32

    /// Wraps a filter's return value.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The action bits (`SECCOMP_RET_ACTION_FULL`).
    public var actionBits: UInt32 { rawValue & 0xFFFF_0000 }
    /// The data bits (`SECCOMP_RET_DATA`).
    public var data: UInt16 { UInt16(truncatingIfNeeded: rawValue) }

    /// The profile action the kernel takes; a value the kernel does not know kills the process.
    public var action: SeccompProfile.Action {
        switch actionBits {
        case 0x7FFF_0000: .allow
        case 0x7FFC_0000: .log
        case 0x7FF0_0000: .trace
        case 0x7FC0_0000: .notify
        case 0x0005_0000: .errno
        case 0x0003_0000: .trap
        case 0x0000_0000: .killThread
        default: .killProcess
        }
    }

    /// Whether the syscall runs (`SCMP_ACT_ALLOW` or `SCMP_ACT_LOG`).
    public var isAllowed: Bool { action == .allow || action == .log }

    /// The action as profiles spell it, with its data where it has one: `SCMP_ACT_ERRNO(1)`.
    public var description: String {
        switch action {
        case .errno, .trace: "\(action.rawValue)(\(data))"
        default: action.rawValue
        }
    }

    /// The value libseccomp gives `action` with `errnoRet`, to compare with what a filter returned.
    public init(_ action: SeccompProfile.Action, errnoRet: UInt32?) {
        self.init(rawValue: SeccompActionValue(action, errnoRet: errnoRet).rawValue)
    }
}

/// A classic-BPF program as seccomp runs it.
///
/// ``init(bytes:byteOrder:)`` checks the program as the kernel's `seccomp_check_filter` does
/// (only the instructions seccomp permits, aligned loads inside `struct seccomp_data`, jumps
/// inside the program, a return at the end) and ``run(_:)`` evaluates it: 32-bit accumulator and
/// index registers, 16 scratch words, every jump forward, so every run ends.
public struct BPFProgram: Sendable, Hashable {
    /// The byte order of the machine a filter is for; libseccomp writes a filter in its target's.
    public enum ByteOrder: Sendable, Hashable {
        /// Little-endian (x86, Arm, RISC-V, ppc64le, mipsel).
        case little
        /// Big-endian (s390, ppc64, ppc, mips).
        case big

        /// The byte order of `abi` (`__AUDIT_ARCH_LE` in its `AUDIT_ARCH_*`).
        public init(of abi: Architecture) { self = abi.isLittleEndian ? .little : .big }
    }

    /// One `struct sock_filter`.
    public struct Instruction: Sendable, Hashable {
        /// The opcode.
        public var code: UInt16
        /// Jump offset when the condition holds.
        public var jt: UInt8
        /// Jump offset when it does not.
        public var jf: UInt8
        /// The constant operand.
        public var k: UInt32

        /// Creates an instruction.
        public init(code: UInt16, jt: UInt8 = 0, jf: UInt8 = 0, k: UInt32 = 0) {
            self.code = code
            self.jt = jt
            self.jf = jf
            self.k = k
        }
    }

    /// Why a program cannot run.
    public struct InvalidProgram: Error, Sendable, CustomStringConvertible {
        /// The offending instruction, or nil for the program as a whole.
        public var index: Int?
        /// What is wrong.
        public var reason: String

        /// A sentence naming the instruction.
        public var description: String {
            guard let index else { return "Invalid seccomp program: \(reason)." }
            return "Invalid seccomp program: instruction \(index) \(reason)."
        }
    }

    /// The most instructions a seccomp program may have (`BPF_MAXINSNS`).
    public static let maximumLength = 4096

    /// The instructions.
    public let instructions: [Instruction]
    /// The byte order data words are loaded in.
    public let byteOrder: ByteOrder

    /// Reads and checks a program exported by libseccomp (`struct sock_filter` array).
    ///
    /// - Throws: ``InvalidProgram`` when the kernel would refuse it.
    public init(bytes: [UInt8], byteOrder: ByteOrder) throws(InvalidProgram) {
        guard bytes.count % 8 == 0 else {
            throw InvalidProgram(reason: "its \(bytes.count) bytes are not a whole number of 8-byte instructions")
        }
        func field(_ at: Int, _ width: Int) -> UInt32 {
            var value: UInt32 = 0
            for i in 0..<width {
                let byte = UInt32(bytes[at + (byteOrder == .little ? width - 1 - i : i)])
                value = value << 8 | byte
            }
            return value
        }
        var instructions: [Instruction] = []
        instructions.reserveCapacity(bytes.count / 8)
        for start in stride(from: 0, to: bytes.count, by: 8) {
            instructions.append(
                Instruction(
                    code: UInt16(field(start, 2)), jt: bytes[start + 2], jf: bytes[start + 3], k: field(start + 4, 4)))
        }
        try self.init(instructions: instructions, byteOrder: byteOrder)
    }

    /// Checks `instructions` as the kernel would.
    ///
    /// - Throws: ``InvalidProgram`` when the kernel would refuse them.
    public init(instructions: [Instruction], byteOrder: ByteOrder = .little) throws(InvalidProgram) {
        guard (1...Self.maximumLength).contains(instructions.count) else {
            throw InvalidProgram(reason: "it has \(instructions.count) instructions; seccomp takes 1 to 4096")
        }
        for (index, instruction) in instructions.enumerated() {
            if let problem = Self.problem(instruction, at: index, count: instructions.count) {
                throw InvalidProgram(index: index, reason: problem)
            }
        }
        guard instructions[instructions.count - 1].code & 0x07 == Class.ret else {
            throw InvalidProgram(index: instructions.count - 1, reason: "is the last and does not return")
        }
        if let (index, word) = Self.unsetScratchRead(instructions) {
            throw InvalidProgram(index: index, reason: "reads scratch word \(word) before every path stores it")
        }
        self.instructions = instructions
        self.byteOrder = byteOrder
    }

    private enum Class {
        static let ld: UInt16 = 0x00
        static let ldx: UInt16 = 0x01
        static let st: UInt16 = 0x02
        static let stx: UInt16 = 0x03
        static let alu: UInt16 = 0x04
        static let jmp: UInt16 = 0x05
        static let ret: UInt16 = 0x06
        static let misc: UInt16 = 0x07
    }

    /// The first load of a scratch word that some path reaches without storing it, as the
    /// kernel's `check_load_and_stores` finds it: the words known stored flow forward along every
    /// jump, and a join keeps only those stored on all of its paths.
    private static func unsetScratchRead(_ instructions: [Instruction]) -> (Int, UInt32)? {
        var incoming = [UInt16](repeating: 0xFFFF, count: instructions.count)
        var stored: UInt16 = 0
        for (pc, instruction) in instructions.enumerated() {
            stored &= incoming[pc]
            let k = instruction.k
            switch instruction.code {
            case 0x02, 0x03: stored |= 1 << UInt16(k)
            case 0x60, 0x61: if stored & (1 << UInt16(k)) == 0 { return (pc, k) }
            case 0x05:
                incoming[pc + 1 + Int(k)] &= stored
                stored = 0xFFFF  // nothing falls through an unconditional jump
            case 0x15, 0x1D, 0x25, 0x2D, 0x35, 0x3D, 0x45, 0x4D:
                incoming[pc + 1 + Int(instruction.jt)] &= stored
                incoming[pc + 1 + Int(instruction.jf)] &= stored
                stored = 0xFFFF
            default: break  // a return does not reset what is known, in the kernel either
            }
        }
        return nil
    }

    /// Why the kernel refuses `instruction`, or nil.
    private static func problem(_ instruction: Instruction, at index: Int, count: Int) -> String? {
        let code = instruction.code
        let k = instruction.k
        switch code {
        case 0x20:  // LD W ABS
            if k % 4 != 0 || k >= SeccompData.size { return "loads from offset \(k), outside struct seccomp_data" }
        case 0x80, 0x81, 0x00, 0x01:  // LD/LDX W LEN, LD/LDX IMM
            break
        case 0x60, 0x61, 0x02, 0x03:  // LD/LDX MEM, ST, STX
            if k >= 16 { return "uses scratch word \(k) of 16" }
        case 0x04, 0x0C, 0x14, 0x1C, 0x24, 0x2C, 0x34, 0x3C, 0x44, 0x4C, 0x54, 0x5C, 0x64, 0x6C, 0x74, 0x7C, 0x84,
            0xA4, 0xAC:  // ALU: ADD SUB MUL DIV OR AND LSH RSH NEG XOR (no MOD in seccomp)
            if code == 0x34 && k == 0 { return "divides by the constant 0" }
            if (code == 0x64 || code == 0x74) && k >= 32 { return "shifts by \(k)" }
        case 0x05:  // JA
            if Int(k) >= count - index - 1 { return "jumps past the end" }
        case 0x15, 0x1D, 0x25, 0x2D, 0x35, 0x3D, 0x45, 0x4D:  // JEQ JGT JGE JSET, K and X
            if index + 1 + Int(max(instruction.jt, instruction.jf)) >= count { return "jumps past the end" }
        case 0x06, 0x16:  // RET K, RET A
            break
        case 0x07, 0x87:  // TAX, TXA
            break
        default:
            return "has opcode 0x\(String(code, radix: 16)), which seccomp does not permit"
        }
        return nil
    }

    /// Runs the program on `data` and returns what the filter returns.
    public func run(_ data: SeccompData) -> SeccompReturn {
        var a: UInt32 = 0
        var x: UInt32 = 0
        var scratch = [UInt32](repeating: 0, count: 16)
        var pc = 0
        while pc < instructions.count {
            let instruction = instructions[pc]
            let k = instruction.k
            pc += 1
            switch instruction.code & 0x07 {
            case Class.ld:
                switch instruction.code {
                case 0x20: a = data.word(at: k, byteOrder: byteOrder)
                case 0x80: a = SeccompData.size
                case 0x60: a = scratch[Int(k)]
                default: a = k
                }
            case Class.ldx:
                switch instruction.code {
                case 0x81: x = SeccompData.size
                case 0x61: x = scratch[Int(k)]
                default: x = k
                }
            case Class.st: scratch[Int(k)] = a
            case Class.stx: scratch[Int(k)] = x
            case Class.alu:
                let operand = instruction.code & 0x08 != 0 ? x : k
                switch instruction.code & 0xF0 {
                case 0x00: a = a &+ operand
                case 0x10: a = a &- operand
                case 0x20: a = a &* operand
                case 0x30:
                    // Division by a zero X ends the program with 0, as the kernel does.
                    guard operand != 0 else { return SeccompReturn(rawValue: 0) }
                    a /= operand
                case 0x40: a |= operand
                case 0x50: a &= operand
                case 0xA0: a ^= operand
                // A shift by X counts modulo 32, as the kernel's 32-bit ALU does.
                case 0x60: a <<= operand & 31
                case 0x70: a >>= operand & 31
                default: a = 0 &- a  // NEG
                }
            case Class.jmp:
                let operand = instruction.code & 0x08 != 0 ? x : k
                let taken: Bool
                switch instruction.code & 0xF0 {
                case 0x00:
                    pc += Int(k)
                    continue
                case 0x10: taken = a == operand
                case 0x20: taken = a > operand
                case 0x30: taken = a >= operand
                default: taken = a & operand != 0
                }
                pc += Int(taken ? instruction.jt : instruction.jf)
            case Class.ret:
                return SeccompReturn(rawValue: instruction.code & 0x18 == 0x10 ? a : k)
            default:
                if instruction.code & 0xF8 == 0x80 { a = x } else { x = a }
            }
        }
        // Unreachable for a checked program: the last instruction returns.
        return SeccompReturn(rawValue: 0)
    }
}
