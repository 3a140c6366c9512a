// SPDX-License-Identifier: Apache-2.0
// Tests for the strict JSON parser and the deterministic writer.

import CinchModel
import Testing

@Suite struct JSONParserTests {
    private func syntaxError(_ text: String) -> JSONParser.SyntaxError? {
        do {
            _ = try JSONParser.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func parsesNestedValuesWithPositions() throws {
        let node = try JSONParser.parse("{\n  \"a\": [1, true, null],\n  \"b\": \"x\"\n}")
        guard case .object(let members) = node.value else {
            Issue.record("expected an object, got \(node.value)")
            return
        }
        #expect(members.map(\.key) == ["a", "b"])
        #expect(node.line == 1 && node.column == 1)
        let a = members[0].value
        #expect(a.line == 2 && a.column == 8)
        #expect(a.value == .makeArray([.number("1"), .bool(true), .null]))
        let b = members[1].value
        #expect(b.line == 3 && b.column == 8)
        #expect(b.value == .string("x"))
    }

    @Test func keepsLargeIntegersAsText() throws {
        let node = try JSONParser.parse("[18446744073709551615, -0, 1.5e3]")
        #expect(node.value == .makeArray([.number("18446744073709551615"), .number("-0"), .number("1.5e3")]))
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let node = try JSONParser.parse(#""a\"\\\/\n\u00e9\ud83d\ude00""#)
        #expect(node.value == .string("a\"\\/\né😀"))
    }

    @Test func keepsDuplicateKeysInDocumentOrder() throws {
        let node = try JSONParser.parse(#"{"k": 1, "k": 2}"#)
        guard case .object(let members) = node.value else {
            Issue.record("expected an object")
            return
        }
        #expect(members.map(\.key) == ["k", "k"])
        #expect(members.map(\.value.value) == [.number("1"), .number("2")])
    }

    @Test(
        arguments: [
            ("{\"a\": 1,}", 1, 9, "expected a string key"),
            ("[1, 2,]", 1, 7, "expected a value"),
            ("{\n  \"a\": 01\n}", 2, 9, "leading zeros"),
            ("\"tab\there\"", 1, 5, "control character"),
            ("[1] [2]", 1, 5, "after the JSON value"),
            ("{\"a\" 1}", 1, 6, "expected ':'"),
            ("[tru]", 1, 2, "invalid literal"),
            ("\"\\ud800\"", 1, 8, "surrogate"),
            ("", 1, 1, "unexpected end of input"),
            ("{\"a\": [\n\n", 3, 1, "unexpected end of input"),
        ]
    )
    func rejectsMalformedInputWithPosition(text: String, line: Int, column: Int, fragment: String) {
        let error = syntaxError(text)
        #expect(error?.line == line, "\(String(describing: error))")
        #expect(error?.column == column, "\(String(describing: error))")
        #expect(error?.message.contains(fragment) == true, "\(String(describing: error))")
    }

    @Test func limitsNestingDepth() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(syntaxError(deep)?.message.contains("nesting") == true)
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(syntaxError(fine) == nil)
    }

    @Test func rendersSortedKeysWithTrailingNewline() {
        let value = JSONValue.makeObject([
            ("zeta", .makeArray([.integer(1), .string("two")])),
            ("alpha", .makeObject([])),
            ("mid", .makeArray([])),
        ])
        let expected = """
            {
              "alpha": {},
              "mid": [],
              "zeta": [
                1,
                "two"
              ]
            }

            """
        #expect(value.rendered() == expected)
    }

    @Test func renderedOutputParsesBackToTheSameValue() throws {
        let value = JSONValue.makeObject([
            ("text", .string("quote \" backslash \\ newline \n control \u{01}")),
            ("numbers", .makeArray([.integer(UInt64.max), .integer(-5)])),
            ("flag", .bool(false)),
            ("nothing", .null),
        ])
        let reparsed = try JSONParser.parse(value.rendered())
        #expect(reparsed.value == value)
        #expect(reparsed.value.rendered() == value.rendered())
    }
}
