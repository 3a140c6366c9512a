// SPDX-License-Identifier: Apache-2.0
// Proof by replay: every recorded syscall run through the profile's compiled filter, in Swift.

internal import CinchLinux
public import CinchModel
public import CinchSeccomp

/// Runs recorded syscalls through the filter libseccomp compiles from a profile.
///
/// The profile is compiled as a runtime would (``SeccompProfileCompiler``), once per native
/// architecture of a Docker `archMap`, and the exported classic-BPF program is evaluated by
/// ``BPFProgram`` on a `struct seccomp_data` per call: nothing is loaded, no workload runs.
///
/// The calls of a trace (``calls(in:)``) are every syscall of every ABI, observed or inherited,
/// once per recorded value of its captured argument (``Trace/argumentCaptures``: socket families,
/// personas, clone namespace flags); a syscall without recorded values is called with zero
/// arguments. Each socket family of the trace's network observations is a `socket` call too, on
/// each ABI that recorded `socket`.
public struct FilterReplay: Sendable {
    /// One syscall to replay.
    public struct Call: Sendable, Hashable {
        /// The ABI it was made with.
        public var abi: Architecture
        /// Its name.
        public var name: String
        /// Its six arguments.
        public var arguments: [UInt64]
        /// The argument a recorded value was put in, if any.
        public var recordedArgument: Int?

        /// Creates a call; missing arguments are 0.
        public init(abi: Architecture, name: String, arguments: [UInt64] = [], recordedArgument: Int? = nil) {
            self.abi = abi
            self.name = name
            self.arguments = Array((arguments + Array(repeating: 0, count: 6)).prefix(6))
            self.recordedArgument = recordedArgument
        }

        /// `x86_64 socket(arg0 = 10)`, or `x86_64 getpid`.
        public var description: String {
            guard let index = recordedArgument else { return "\(abi.name) \(name)" }
            return "\(abi.name) \(name)(arg\(index) = \(Self.number(arguments[index])))"
        }

        /// Decimal below 4096, hexadecimal from there.
        public static func number(_ value: UInt64) -> String {
            value < 4096 ? String(value) : "0x" + String(value, radix: 16)
        }
    }

    /// What the filter does with one call.
    public struct Verdict: Sendable, Hashable {
        /// The call.
        public var call: Call
        /// The `seccomp_data` the filter saw, when the call exists on its ABI.
        public var data: SeccompData?
        /// What the filter returned.
        public var result: SeccompReturn
        /// The JSON path of the rule responsible (`$.syscalls[2].names[0]`, or `$.defaultAction`),
        /// or nil when the filter does not cover the ABI or no rule of the profile explains the
        /// answer.
        public var rulePath: String?
        /// The native architecture whose filter answered.
        public var native: Architecture
        /// Whether that filter covers the call's ABI; when not, its bad-architecture action answered.
        public var isCovered: Bool
    }

    /// The profile.
    public let profile: SeccompProfile
    /// Its file name, for messages.
    public let file: String
    /// Why a filter could not be built, as errors; empty when every filter was built.
    public let diagnostics: [Diagnostic]
    private let natives: [Architecture]
    private let programs: [Architecture: BPFProgram]
    private let covered: [Architecture: [Architecture]]
    private let capabilities: Set<String>?

    /// Compiles `profile` for each of its native architectures.
    ///
    /// - Parameters:
    ///   - host: the native architecture used for a profile without an `archMap`.
    ///   - capabilities: the container's capabilities for Docker's `includes`/`excludes`; nil is
    ///     Docker's default set.
    public init(
        profile: SeccompProfile, file: String, host: Architecture = SyscallResolver.native,
        capabilities: Set<String>? = nil
    ) {
        self.profile = profile
        self.file = file
        var diagnostics: [Diagnostic] = []
        var programs: [Architecture: BPFProgram] = [:]
        var covered: [Architecture: [Architecture]] = [:]
        let natives = SeccompProfileCompiler.nativeArchitectures(of: profile, host: host)
        for native in natives {
            let compilation = SeccompProfileCompiler.compile(
                profile, file: file, native: native, capabilities: capabilities)
            covered[native] = compilation.architectures
            guard let bytes = compilation.bpf, let first = compilation.architectures.first else {
                diagnostics += compilation.diagnostics.filter { $0.severity == .error }
                continue
            }
            do {
                programs[native] = try BPFProgram(bytes: bytes, byteOrder: BPFProgram.ByteOrder(of: first))
            } catch {
                diagnostics.append(
                    Diagnostic(.error, id: "replay.invalid-program", error.description, at: ProfileLocation(file: file))
                )
            }
        }
        var seen = Set<Diagnostic>()
        self.diagnostics = diagnostics.filter { seen.insert($0).inserted }
        self.natives = natives
        self.programs = programs
        self.covered = covered
        self.capabilities = capabilities
    }

    /// The native architecture whose filter a call of `abi` meets: the one covering it, else the
    /// one of its family, else the first (whose bad-architecture action then answers).
    public func native(for abi: Architecture) -> Architecture? {
        natives.first { covered[$0]?.contains(abi) == true }
            ?? natives.first { $0 == abi.nativeFamily } ?? natives.first
    }

    /// What the compiled filter does with `call`; nil when the name does not exist on its ABI or
    /// no filter could be built.
    public func evaluate(_ call: Call) -> Verdict? {
        guard let native = native(for: call.abi), let program = programs[native],
            let entry = SyscallResolver.kernelCall(of: call.name, on: call.abi)
        else { return nil }
        var arguments = call.arguments
        if let multiplexed = entry.call {
            // socketcall(call, args) / ipc(call, ...): only the call number can be filtered.
            arguments = [multiplexed] + Array(repeating: 0, count: 5)
        }
        let data = SeccompData(abi: call.abi, number: entry.number, arguments: arguments)
        let result = program.run(data)
        let isCovered = covered[native]?.contains(call.abi) == true
        let path = isCovered ? responsibleRule(for: call, result: result, native: native) : nil
        return Verdict(call: call, data: data, result: result, rulePath: path, native: native, isCovered: isCovered)
    }

    /// The first rule that applies on `native`, names the call, matches its arguments and has the
    /// filter's action; `$.defaultAction` when none does and the result is the default.
    private func responsibleRule(for call: Call, result: SeccompReturn, native: Architecture) -> String? {
        let target = SeccompTarget(native: native, capabilities: capabilities, kernel: KernelVersion.running)
        let width: UInt64 = call.abi.is32Bit && call.abi != .x32 ? 0xFFFF_FFFF : .max
        // A rule for `socket` also decides `socketcall(SYS_SOCKET, …)`; its argument conditions
        // cannot be checked there (the arguments are in memory), so libseccomp leaves them out.
        let multiplexed = SyscallResolver.multiplexedName(of: call.name, call: call.arguments[0], on: call.abi)
        for (index, rule) in profile.syscalls.enumerated() where target.applies(rule) {
            let nameIndex = rule.names.firstIndex(of: call.name)
            let viaMultiplexer = nameIndex == nil ? multiplexed.flatMap { rule.names.firstIndex(of: $0) } : nil
            guard let found = nameIndex ?? viaMultiplexer,
                SeccompReturn(rule.action, errnoRet: rule.errnoRet) == result,
                viaMultiplexer != nil
                    || rule.args.allSatisfy({ Self.holds($0, call.arguments[Int($0.index) % 6] & width, width: width) })
            else { continue }
            return "$.syscalls[\(index)].names[\(found)]"
        }
        return SeccompReturn(profile.defaultAction, errnoRet: profile.defaultErrnoRet) == result
            ? "$.defaultAction" : nil
    }

    private static func holds(_ condition: SeccompProfile.ArgumentCondition, _ value: UInt64, width: UInt64) -> Bool {
        let datum = condition.value & width
        switch condition.op {
        case .equal: return value == datum
        case .notEqual: return value != datum
        case .lessThan: return value < datum
        case .lessOrEqual: return value <= datum
        case .greaterThan: return value > datum
        case .greaterOrEqual: return value >= datum
        case .maskedEqual: return value & datum == condition.valueTwo & width
        }
    }

    // MARK: - Calls of a trace

    /// Every call `trace` recorded, sorted by ABI, name and value.
    public static func calls(in trace: Trace) -> [Call] {
        var calls: [Call] = []
        for (abi, record) in trace.abis.sorted(by: { $0.key < $1.key }) {
            for name in record.allNames.sorted() {
                let capture = Trace.argumentCapture(for: name, on: abi)
                guard let capture, let values = record.syscalls[name]?.arguments[capture.index],
                    !values.isUnbounded, !values.values.isEmpty
                else {
                    calls.append(Call(abi: abi, name: name))
                    continue
                }
                for value in values.sorted {
                    var arguments = [UInt64](repeating: 0, count: 6)
                    arguments[capture.index] = value
                    calls.append(Call(abi: abi, name: name, arguments: arguments, recordedArgument: capture.index))
                }
            }
        }
        // Socket families seen by AppArmor records: a socket(family) call on each ABI whose
        // record has socket calls. (A trace without them made its sockets some other way, through
        // socketcall or before the recording, and its profile need not allow socket.)
        let families = Set(trace.network.compactMap { socketFamilies[$0.family] }).sorted()
        if !families.isEmpty {
            for abi in trace.abis.keys.sorted() where trace.abis[abi]?.allNames.contains("socket") == true {
                for family in families {
                    let call = Call(abi: abi, name: "socket", arguments: [family], recordedArgument: 0)
                    if !calls.contains(call) { calls.append(call) }
                }
            }
        }
        return calls
    }

    /// Address family numbers (`AF_*`) by the names traces and AppArmor use.
    static let socketFamilies: [String: UInt64] = [
        "unix": 1, "inet": 2, "ax25": 3, "ipx": 4, "appletalk": 5, "netrom": 6, "bridge": 7, "atmpvc": 8, "x25": 9,
        "inet6": 10, "rose": 11, "netbeui": 13, "security": 14, "key": 15, "netlink": 16, "packet": 17, "ash": 18,
        "econet": 19, "atmsvc": 20, "rds": 21, "sna": 22, "irda": 23, "pppox": 24, "wanpipe": 25, "llc": 26, "ib": 27,
        "mpls": 28, "can": 29, "tipc": 30, "bluetooth": 31, "iucv": 32, "rxrpc": 33, "isdn": 34, "phonet": 35,
        "ieee802154": 36, "caif": 37, "alg": 38, "nfc": 39, "vsock": 40, "kcm": 41, "qipcrtr": 42, "smc": 43,
        "xdp": 44, "mctp": 45,
    ]

    // MARK: - Replaying traces

    /// What replaying traces through a profile found.
    public struct Report: Sendable {
        /// How many calls were replayed.
        public var callCount: Int
        /// How many traces they came from.
        public var traceCount: Int
        /// One error per call the filter does not allow (located at the trace), one warning per
        /// name that does not exist on its ABI, and the errors of building the filters.
        public var diagnostics: [Diagnostic]

        /// Whether every call was allowed and every filter built.
        public var allAllowed: Bool { !diagnostics.contains { $0.severity == .error } }
    }

    /// Replays every call of every trace and reports those the filter does not allow.
    public func replay(_ traces: [(file: String, trace: Trace)]) -> Report {
        var report = Report(callCount: 0, traceCount: traces.count, diagnostics: diagnostics)
        guard diagnostics.isEmpty else { return report }
        for (traceFile, trace) in traces {
            for call in Self.calls(in: trace) {
                // A hostile name is shown quoted and cut, in the path as in the message.
                let isPlain =
                    call.name.utf8.count <= 64
                    && call.name.utf8.allSatisfy {
                        $0 == 0x5F || (0x61...0x7A).contains($0) || (0x30...0x39).contains($0)
                    }
                let path =
                    "$.abis.\(call.abi.name).syscalls" + (isPlain ? "." + call.name : "[\(Self.quoted(call.name))]")
                let location = ProfileLocation(
                    file: traceFile,
                    jsonPath: call.recordedArgument.map { path + ".arguments.\($0)" } ?? path)
                guard let verdict = evaluate(call) else {
                    report.diagnostics.append(
                        Diagnostic(
                            .warning, id: "replay.unknown-syscall",
                            "\(call.abi.name) syscall \(Self.quoted(call.name)) is not one libseccomp knows on \(call.abi.name), so it was not replayed.",
                            at: location))
                    continue
                }
                report.callCount += 1
                guard !verdict.result.isAllowed else { continue }
                let because =
                    verdict.isCovered
                    ? "(\(verdict.rulePath ?? "no rule of the profile matches it"))"
                    : "(its filter for \(verdict.native.name) does not cover \(call.abi.name))"
                report.diagnostics.append(
                    Diagnostic(
                        .error, id: "replay.denied",
                        "\(call.description) is not allowed: the filter of \(file) returns \(verdict.result) \(because).",
                        at: location))
            }
        }
        return report
    }

    /// `name` quoted, cut at 64 characters, with anything but printable ASCII as `?`: traces
    /// may be hostile.
    static func quoted(_ name: String) -> String {
        let shown = String(
            String.UnicodeScalarView(
                name.unicodeScalars.prefix(64).map { (0x20..<0x7F).contains($0.value) && $0 != "\"" ? $0 : "?" }))
        return "\"" + shown + (name.unicodeScalars.count > 64 ? "…\"" : "\"")
    }
}
