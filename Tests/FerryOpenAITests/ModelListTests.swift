// SPDX-License-Identifier: Apache-2.0
import FerryOpenAI
import Testing

@Suite struct ModelListTests {
    @Test func listsOneCardPerServedNameAsVLLMDoes() throws {
        let list = ModelList(servedModelNames: ["smol", "alias"], root: "/models/smol", created: 1_700_000_000,
                             maxModelLen: 8192)
        #expect(try ParsedJSON(list.encoded()) == ParsedJSON("""
            {"object": "list", "data": [
              {"id": "smol", "object": "model", "created": 1700000000, "owned_by": "ferry", "root": "/models/smol",
               "parent": null, "max_model_len": 8192, "permission": []},
              {"id": "alias", "object": "model", "created": 1700000000, "owned_by": "ferry", "root": "/models/smol",
               "parent": null, "max_model_len": 8192, "permission": []}]}
            """))
    }

    @Test func versionResponseIsOneField() {
        #expect(VersionResponse(version: "0.1.0").encoded() == Array(#"{"version":"0.1.0"}"#.utf8))
    }
}
