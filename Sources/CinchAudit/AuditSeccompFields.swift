// SPDX-License-Identifier: Apache-2.0
// The fields cinch takes from a SECCOMP record: read in the kernel's own layout, or by walking them.

/// The `pid=`, `arch=`, `syscall=` and `exe=` of one `SECCOMP` record, checked.
///
/// Two readers give the same fields for the same body:
/// - ``readKernelLayout(_:from:to:)`` reads the one layout the kernel writes (`audit_seccomp`
///   after `audit_log_task`):
///   `auid=N uid=N gid=N ses=N [subj=CONTEXT ]pid=N comm=VALUE exe=VALUE sig=N arch=HEX
///   syscall=[-]N compat=N ip=0xHEX code=0xHEX`, then the end or auditd's 0x1D enrichment
///   separator. Nearly every record in a real log has it, and reading it is a run of fixed
///   compares and digit loops instead of a walk over fifteen `key=value` fields. The layout is
///   checked byte for byte: one space between fields, every key in place, numbers made of digits,
///   `comm=` and `exe=` either quoted (up to the next quote, which a space must follow, as the
///   walk reads them) or runs without spaces, and no 0x1D before the end. For such a body ``walk(_:from:to:)`` yields exactly
///   these fields and values. Anything else (another kernel's order, extra fields, a cut line,
///   hostile bytes) returns nil.
/// - ``walk(_:from:to:)`` reads any order through ``AuditFieldCursor`` (the last of a repeated
///   key wins) and says which field is missing or invalid.
struct SeccompFields: Equatable {
    /// The `pid=` value, at most `Int32.max`.
    let pid: UInt64
    /// The `arch=` value (`AUDIT_ARCH_*`), at most `UInt32.max`.
    let arch: UInt64
    /// The `syscall=` value.
    let number: Int64
    /// The `exe=` value as written (quoted or hex); nil when there is none.
    let exe: Range<Int>?

    /// The field a record lacks, or whose value is invalid, as `key=`.
    struct Missing: Error, Equatable {
        let field: String
    }

    /// Reads any body by walking its fields.
    static func walk(_ line: AuditLine, from start: Int, to end: Int) -> Result<SeccompFields, Missing> {
        var cursor = AuditFieldCursor(line: line, start: start, end: end)
        var pid: UInt64?
        var arch: UInt64?
        var number: Int64?
        var hasCompat = false
        var exe: Range<Int>?
        while let (key, value) = cursor.next() {
            switch key.count {
            case 3:
                if line.equals(key, "pid") {
                    pid = line.decimal(value)
                } else if line.equals(key, "exe") {
                    exe = value
                }
            case 4:
                if line.equals(key, "arch") { arch = line.hexadecimal(value) }
            case 6:
                if line.equals(key, "compat") { hasCompat = true }
            case 7:
                if line.equals(key, "syscall") { number = line.signedDecimal(value) }
            default: break
            }
        }
        guard let pid, pid <= UInt64(Int32.max) else { return .failure(Missing(field: "pid=")) }
        guard let arch, arch <= UInt64(UInt32.max) else { return .failure(Missing(field: "arch=")) }
        guard let number else { return .failure(Missing(field: "syscall=")) }
        // compat= follows syscall= and a quote is closed on the same line: else the line was cut.
        guard hasCompat, !cursor.sawUnterminatedQuote else { return .failure(Missing(field: "compat=")) }
        return .success(SeccompFields(pid: pid, arch: arch, number: number, exe: exe))
    }

    /// The fields of `line[start..<end]`, or nil when it is not in the kernel's layout.
    @inline(__always) static func readKernelLayout(_ line: AuditLine, from start: Int, to end: Int) -> SeccompFields? {
        guard end == line.count else { return nil }
        var reader = Reader(line: line, index: start)
        _ = reader.skip(" ")  // the space after the header's "):"
        guard reader.skip("auid="), reader.digits() != nil,
            reader.skip(" uid="), reader.digits() != nil,
            reader.skip(" gid="), reader.digits() != nil,
            reader.skip(" ses="), reader.digits() != nil
        else { return nil }
        if reader.skip(" subj=") {
            guard reader.plainValue() else { return nil }
        }
        guard reader.skip(" pid="), let pid = reader.digits(), pid <= UInt64(Int32.max),
            reader.skip(" comm="), reader.value() != nil,
            reader.skip(" exe="), let exe = reader.value(),
            reader.skip(" sig="), reader.digits() != nil,
            reader.skip(" arch="), let arch = reader.hex(), arch <= UInt64(UInt32.max),
            reader.skip(" syscall=")
        else { return nil }
        let negative = reader.skip("-")
        guard let magnitude = reader.digits(), magnitude <= UInt64(Int64.max),
            reader.skip(" compat="), reader.digits() != nil,
            reader.skip(" ip=0x"), reader.hex() != nil,
            reader.skip(" code=0x"), reader.hex() != nil,
            reader.index == line.count || line[reader.index] == 0x1D
        else { return nil }
        let number = negative ? -Int64(magnitude) : Int64(magnitude)
        return SeccompFields(pid: pid, arch: arch, number: number, exe: exe)
    }

    /// A position in the line and the steps of the layout.
    private struct Reader {
        let line: AuditLine
        var index: Int

        /// Steps over `text` when it is next.
        @inline(__always) mutating func skip(_ text: StaticString) -> Bool {
            guard line.has(text, at: index) else { return false }
            index += text.utf8CodeUnitCount
            return true
        }

        /// A run of 1 to 19 decimal digits.
        @inline(__always) mutating func digits() -> UInt64? { line.decimal(&index, end: line.count) }

        /// A run of 1 to 16 hexadecimal digits.
        @inline(__always) mutating func hex() -> UInt64? {
            let start = index
            var value: UInt64 = 0
            while index < line.count, let nibble = AuditLine.nibble(line[index]) {
                if index - start == 16 { return nil }
                value = value << 4 | UInt64(nibble)
                index += 1
            }
            return index > start ? value : nil
        }

        /// An unquoted value: up to the next space, with no quote first and no 0x1D in it.
        @inline(__always) mutating func plainValue() -> Bool {
            guard index < line.count, line[index] != UInt8(ascii: "\"") else { return false }
            while index < line.count {
                let byte = line[index]
                if byte == UInt8(ascii: " ") { return true }
                if byte == 0x1D { return false }
                index += 1
            }
            return true
        }

        /// A `comm=` or `exe=` value: quoted up to its closing quote (no 0x1D inside), or unquoted
        /// up to the next space.
        @inline(__always) mutating func value() -> Range<Int>? {
            let start = index
            guard index < line.count, line[index] == UInt8(ascii: "\"") else {
                return plainValue() ? start..<index : nil
            }
            index += 1
            AuditFieldCursor.skipWords(
                line.base, &index, end: line.count, until: AuditFieldCursor.quotes, or: AuditFieldCursor.separators)
            while index < line.count {
                let byte = line[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    return start..<index
                }
                if byte == 0x1D { return nil }
                index += 1
            }
            return nil
        }
    }
}
