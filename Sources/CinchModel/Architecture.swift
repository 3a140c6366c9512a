// SPDX-License-Identifier: Apache-2.0
// Syscall ABIs (libseccomp "architectures") and their names in every format cinch reads or writes.

/// A syscall ABI, as libseccomp and the kernel's audit subsystem identify it.
///
/// One process can use several ABIs: a 64-bit x86 process may enter the kernel through the i386
/// compat entry (`int 0x80`) or with the x32 bit set, and each ABI numbers syscalls differently.
/// cinch records and resolves every syscall under the ABI it was made with.
public struct Architecture: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// libseccomp's name, as `seccomp_arch_resolve_name` accepts it (`x86_64`, `x86`, `x32`).
    public var name: String
    /// The `AUDIT_ARCH_*` value, which is also libseccomp's architecture token and the value of an
    /// audit record's `arch=` field.
    public var auditArch: UInt32
    /// The bit the kernel sets in syscall numbers of this ABI (only x32 has one).
    public var syscallNumberBase: UInt64

    /// Creates an architecture from its parts; prefer the static constants.
    public init(name: String, auditArch: UInt32, syscallNumberBase: UInt64 = 0) {
        self.name = name
        self.auditArch = auditArch
        self.syscallNumberBase = syscallNumberBase
    }

    /// The JSON spelling used in Docker and OCI profiles, for example `SCMP_ARCH_X86_64`.
    public var scmpName: String { "SCMP_ARCH_" + name.uppercased() }

    /// The spelling Docker's `includes.arches`/`excludes.arches` use (Go's `GOARCH`-like names).
    public var goName: String? { Self.goNames[name] }

    /// A readable description: the libseccomp name.
    public var description: String { name }

    /// Orders architectures by their position in ``all`` (native x86 family first), then by name.
    public static func < (lhs: Architecture, rhs: Architecture) -> Bool {
        let l = all.firstIndex(of: lhs) ?? Int.max
        let r = all.firstIndex(of: rhs) ?? Int.max
        return l != r ? l < r : lhs.name < rhs.name
    }

    // MARK: - Known architectures

    /// x86-64 native ABI.
    public static let x86_64 = Architecture(name: "x86_64", auditArch: 0xC000_003E)
    /// i386, including the compat entry of a 64-bit kernel.
    public static let x86 = Architecture(name: "x86", auditArch: 0x4000_0003)
    /// x32: the x86-64 instruction set with 32-bit pointers; numbers carry `__X32_SYSCALL_BIT`.
    public static let x32 = Architecture(name: "x32", auditArch: 0x4000_003E, syscallNumberBase: 0x4000_0000)
    /// 64-bit Arm.
    public static let aarch64 = Architecture(name: "aarch64", auditArch: 0xC000_00B7)
    /// 32-bit Arm (EABI).
    public static let arm = Architecture(name: "arm", auditArch: 0x4000_0028)
    /// 64-bit RISC-V.
    public static let riscv64 = Architecture(name: "riscv64", auditArch: 0xC000_00F3)
    /// 64-bit IBM Z.
    public static let s390x = Architecture(name: "s390x", auditArch: 0x8000_0016)
    /// 31-bit IBM Z.
    public static let s390 = Architecture(name: "s390", auditArch: 0x0000_0016)
    /// 64-bit little-endian POWER.
    public static let ppc64le = Architecture(name: "ppc64le", auditArch: 0xC000_0015)
    /// 64-bit big-endian POWER.
    public static let ppc64 = Architecture(name: "ppc64", auditArch: 0x8000_0015)
    /// 32-bit POWER.
    public static let ppc = Architecture(name: "ppc", auditArch: 0x0000_0014)
    /// 64-bit MIPS (n64 ABI), big-endian.
    public static let mips64 = Architecture(name: "mips64", auditArch: 0x8000_0008)
    /// 64-bit MIPS (n32 ABI), big-endian.
    public static let mips64n32 = Architecture(name: "mips64n32", auditArch: 0xA000_0008)
    /// 32-bit MIPS (o32), big-endian.
    public static let mips = Architecture(name: "mips", auditArch: 0x0000_0008)
    /// 64-bit MIPS (n64), little-endian.
    public static let mipsel64 = Architecture(name: "mipsel64", auditArch: 0xC000_0008)
    /// 64-bit MIPS (n32), little-endian.
    public static let mipsel64n32 = Architecture(name: "mipsel64n32", auditArch: 0xE000_0008)
    /// 32-bit MIPS (o32), little-endian.
    public static let mipsel = Architecture(name: "mipsel", auditArch: 0x4000_0008)
    /// 64-bit LoongArch.
    public static let loongarch64 = Architecture(name: "loongarch64", auditArch: 0xC000_0102)

    /// Every architecture cinch knows, in output order.
    public static let all: [Architecture] = [
        .x86_64, .x86, .x32, .aarch64, .arm, .riscv64, .s390x, .s390, .ppc64le, .ppc64, .ppc,
        .mips64, .mips64n32, .mips, .mipsel64, .mipsel64n32, .mipsel, .loongarch64,
    ]

    /// Looks an architecture up by libseccomp name (`x86_64`) or JSON name (`SCMP_ARCH_X86_64`).
    public init?(named text: String) {
        var key = text
        if key.hasPrefix("SCMP_ARCH_") { key = String(key.dropFirst("SCMP_ARCH_".count)).lowercased() }
        guard let found = Self.all.first(where: { $0.name == key }) else { return nil }
        self = found
    }

    /// Looks an architecture up by its `AUDIT_ARCH_*` value, as a trace or audit record gives it.
    public init?(auditArch: UInt32) {
        guard let found = Self.all.first(where: { $0.auditArch == auditArch }) else { return nil }
        self = found
    }

    /// The ABI a syscall really used, given the `AUDIT_ARCH_*` the kernel reported and its number.
    ///
    /// The kernel reports x32 calls with `AUDIT_ARCH_X86_64` and `__X32_SYSCALL_BIT` set in the
    /// number, so the number decides between x86_64 and x32.
    public static func abi(auditArch: UInt32, number: UInt64) -> Architecture? {
        if auditArch == Architecture.x86_64.auditArch, number & Architecture.x32.syscallNumberBase != 0 {
            return .x32
        }
        return Architecture(auditArch: auditArch)
    }

    /// The ABIs a kernel of this native architecture can run, native first (Docker's `archMap`).
    public var subArchitectures: [Architecture] {
        switch self {
        case .x86_64: [.x86, .x32]
        case .aarch64: [.arm]
        case .s390x: [.s390]
        case .mips64: [.mips, .mips64n32]
        case .mipsel64: [.mipsel, .mipsel64n32]
        default: []
        }
    }

    /// The native architecture whose kernel also runs this ABI (x86 and x32 → x86_64).
    public var nativeFamily: Architecture {
        Self.all.first(where: { $0.subArchitectures.contains(self) }) ?? self
    }

    private static let goNames: [String: String] = [
        "x86_64": "amd64", "x86": "386", "x32": "x32", "aarch64": "arm64", "arm": "arm",
        "riscv64": "riscv64", "s390x": "s390x", "s390": "s390", "ppc64le": "ppc64le", "ppc64": "ppc64",
        "ppc": "ppc", "mips64": "mips64", "mips64n32": "mips64n32", "mips": "mips", "mipsel64": "mips64le",
        "mipsel64n32": "mips64n32le", "mipsel": "mipsle", "loongarch64": "loong64",
    ]
}
