// SPDX-License-Identifier: Apache-2.0
// The YAML writer: layout, the quoting table, numbers, and values that try to smuggle in keys.

import CinchModel
import CinchTestSupport
import Testing

@Suite struct JSONValueYAMLTests {
    @Test func writesBlockStyleInTheOrderTheObjectHolds() {
        let value = JSONValue.makeObject([
            ("kind", .string("Thing")),
            ("apiVersion", .string("v1")),
            ("list", .makeArray([.string("a"), .makeObject([("k", .integer(1)), ("j", .bool(false))])])),
            ("nested", .makeObject([("empty", .makeArray([])), ("none", .makeObject([])), ("nothing", .null)])),
        ])
        let expected = """
            kind: Thing
            apiVersion: v1
            list:
              - a
              - k: 1
                j: false
            nested:
              empty: []
              none: {}
              nothing: null

            """
        #expect(value.renderedYAML() == expected)
    }

    @Test func writesNestedSequencesAndScalarRoots() {
        let nested = JSONValue.makeArray([.makeArray([.string("a"), .string("b")]), .makeArray([])])
        #expect(nested.renderedYAML() == "- - a\n  - b\n- []\n")
        #expect(JSONValue.string("yes").renderedYAML() == "\"yes\"\n")
        #expect(JSONValue.makeObject([]).renderedYAML() == "{}\n")
    }

    /// Strings that a YAML reader would take for something else, or that would break the line,
    /// are quoted; names as cinch writes them are not.
    @Test(arguments: [
        ("SCMP_ACT_ALLOW", "SCMP_ACT_ALLOW"),
        ("_llseek", "_llseek"),
        ("profiles/app.json", "profiles/app.json"),
        ("web-1.v2", "web-1.v2"),
        ("", #""""#),
        ("yes", #""yes""#), ("No", #""No""#), ("ON", #""ON""#), ("off", #""off""#), ("y", #""y""#),
        ("n", #""n""#), ("True", #""True""#), ("false", #""false""#), ("null", #""null""#), ("Null", #""Null""#),
        ("~", #""~""#),
        ("123", #""123""#), ("0x1F", #""0x1F""#), ("1e3", #""1e3""#), ("-1", #""-1""#), (".inf", #"".inf""#),
        ("1:20", #""1:20""#), ("2024-01-01", #""2024-01-01""#),
        ("-", #""-""#), ("-x", #""-x""#), ("*alias", #""*alias""#), ("&anchor", #""&anchor""#),
        ("!tag", #""!tag""#), ("@at", #""@at""#), ("`tick", #""`tick""#), ("%dir", #""%dir""#), ("|", #""|""#),
        (">", #"">""#), ("[a]", #""[a]""#), ("{a}", #""{a}""#), ("'q'", #""'q'""#), ("?", #""?""#),
        ("a: b", #""a: b""#), ("a #b", #""a #b""#), ("a:b", #""a:b""#), (" lead", #"" lead""#),
        ("trail ", #""trail ""#), ("a,b", #""a,b""#),
        ("quote\"back\\slash", #""quote\"back\\slash""#),
        ("tab\there", #""tab\there""#),
        ("bell\u{07}", #""bell\u0007""#), ("del\u{7F}", #""del\u007F""#), ("nel\u{85}", #""nel\u0085""#),
        ("ls\u{2028}", #""ls\u2028""#), ("bom\u{FEFF}", #""bom\uFEFF""#), ("caf\u{E9}", "\"caf\u{E9}\""),
    ])
    func quotesWhatCouldBeMisread(text: String, expected: String) {
        #expect(JSONValue.makeObject([("k", .string(text))]).renderedYAML() == "k: \(expected)\n")
    }

    @Test(arguments: [
        ("42", "42"), ("-7", "-7"), ("18446744073709551615", "18446744073709551615"), ("1.5", "1.5"),
        ("1e5", "1.0e+5"), ("2.5E3", "2.5E+3"), ("-1.25e-2", "-1.25e-2"),
    ])
    func writesNumbersThatYAML11ReadersAlsoSeeAsNumbers(json: String, expected: String) {
        #expect(JSONValue.number(json).renderedYAML() == expected + "\n")
    }

    /// A name from a hostile trace must stay one value: no new key, no new list item, no document end.
    static let injections = [
        "x\nkind: Secret", "x\r\nkind: Secret", "x\u{85}kind: Secret", "x\u{2028}kind: Secret",
        "x\n- item", "x\n---\nkind: Secret", "x\" \nkind: Secret", "x: y\nz: w", "# comment",
    ]

    @Test(arguments: injections)
    func hostileValuesStayOnOneLine(value: String) {
        let yaml = JSONValue.makeObject([("name", .string(value)), ("kind", .string("ConfigMap"))]).renderedYAML()
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3, "\(yaml)")
        #expect(lines[0].hasPrefix("name: \""))
        #expect(lines[1] == "kind: ConfigMap")
        #expect(!yaml.unicodeScalars.contains { $0.value == 0x85 || $0.value == 0x2028 || $0 == "\r" })
    }

    @Test(.enabled(if: TestEnvironment.available(PythonYAML.isAvailable), "needs python3 with yaml (python3-yaml)"))
    func pyYAMLReadsEveryQuotedValueBackExactly() throws {
        let values =
            Self.injections + [
                "", "yes", "No", "on", "OFF", "y", "null", "~", "123", "0x1F", "1e3", "0o7", "1_000", ".nan", "-.inf",
                "1:20", "2024-01-01", "a: b", "a #b", "*x", "&x", "!x", "%x", "@x", "`x", "|", ">", "[a]", "{a}", "?",
                "=", "<<", "-", "\u{7}\u{7F}\u{FEFF}", "é ü", "SCMP_ACT_ALLOW", "profiles/app.json",
            ]
        let members = values.enumerated().map { ("k\($0.offset)", JSONValue.string($0.element)) }
        let yaml = JSONValue.makeObject(members + [("long" + String(repeating: "k", count: 1100), .integer(1))])
            .renderedYAML()
        let object = try #require(try PythonYAML.load(yaml) as? [String: Any], "PyYAML could not read:\n\(yaml)")
        #expect(object.count == values.count + 1, "no value may add or remove a key")
        for (offset, value) in values.enumerated() {
            #expect(object["k\(offset)"] as? String == value, "k\(offset) = \(value.debugDescription)")
        }
        #expect(object["long" + String(repeating: "k", count: 1100)] as? Int == 1)
    }
}
