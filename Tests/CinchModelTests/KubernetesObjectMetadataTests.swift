// SPDX-License-Identifier: Apache-2.0
// Object names and namespaces: the DNS-1123 rules the API server applies, applied before writing.

import CinchModel
import Testing

@Suite struct KubernetesObjectMetadataTests {
    @Test(arguments: ["web", "1app", "web-1", "web.v2", "a", String(repeating: "a", count: 63) + ".b"])
    func acceptsSubdomains(name: String) {
        #expect(KubernetesObjectMetadata.isSubdomain(name))
        #expect(KubernetesObjectMetadata.nameProblem(name) == nil)
    }

    @Test(arguments: [
        "", "Web", "web_1", "-web", "web-", "web..v2", ".web", "web.", "web/1", "web 1", "wéb", "web\nkind: Secret",
        String(repeating: "a", count: 64), String(repeating: "a.", count: 127) + "a",
    ])
    func rejectsWhatIsNotASubdomain(name: String) {
        #expect(!KubernetesObjectMetadata.isSubdomain(name))
        let problem = KubernetesObjectMetadata.nameProblem(name)
        #expect(problem?.contains("DNS-1123 subdomain") == true)
        #expect(problem?.contains("\n") == false, "the name is quoted with its newline escaped")
    }

    @Test(arguments: [("web", true), ("team-a", true), ("0", true), ("a.b", false), ("A", false), ("-a", false)])
    func namespacesAreLabels(namespace: String, valid: Bool) {
        #expect(KubernetesObjectMetadata.isLabel(namespace) == valid)
        #expect(KubernetesObjectMetadata(name: "x", namespace: namespace).problems.isEmpty == valid)
    }

    @Test func rejectsALabelLongerThan63() {
        #expect(KubernetesObjectMetadata.isLabel(String(repeating: "a", count: 63)))
        #expect(!KubernetesObjectMetadata.isLabel(String(repeating: "a", count: 64)))
    }

    @Test func writesTheNamespaceOnlyWhenGiven() {
        #expect(KubernetesObjectMetadata(name: "web").jsonValue().renderedYAML() == "name: web\n")
        #expect(
            KubernetesObjectMetadata(name: "web", namespace: "apps").jsonValue().renderedYAML()
                == "name: web\nnamespace: apps\n")
    }
}
