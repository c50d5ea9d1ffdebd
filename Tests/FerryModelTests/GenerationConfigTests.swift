// SPDX-License-Identifier: Apache-2.0
import FerryModel
import Foundation
import TestSupport
import Testing

@Suite struct GenerationConfigTests {
    @Test(.enabled(if: SharedData.isAvailable))
    func readsTheEosListOfStories260K() throws {
        let config = try GenerationConfig.load(contentsOf: shared("models/stories260K/generation_config.json"))
        #expect(config.eosTokenIds == [2, 1] && config.bosTokenId == 1 && config.maxLength == 512)
        #expect(config.temperature == nil && config.doSample == nil)
    }

    @Test func readsSamplingDefaultsWhenPresent() throws {
        let json = #"{"eos_token_id": 7, "temperature": 0.6, "top_p": 0.9, "top_k": 20, "repetition_penalty": 1.1,"#
            + #" "do_sample": true, "pad_token_id": null}"#
        let config = try GenerationConfig.decode(Data(json.utf8), file: "g.json")
        #expect(config == GenerationConfig(eosTokenIds: [7], temperature: 0.6, topP: 0.9, topK: 20,
                                           repetitionPenalty: 1.1, doSample: true))
    }

    @Test func rejectsAFieldOfTheWrongTypeNamingTheFile() {
        let error = #expect(throws: ModelError.self) {
            try GenerationConfig.decode(Data(#"{"top_k": "many"}"#.utf8), file: "g.json")
        }
        guard case .invalidConfig(let file, _) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(file == "g.json")
    }
}
