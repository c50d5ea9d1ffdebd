# SPDX-License-Identifier: Apache-2.0
"""The official `openai` package against a live `ferry serve` on the shared models."""
import subprocess

import openai
import pytest

from conftest import FERRY, fixture, needs_shared, shared

pytestmark = needs_shared


def client(server):
    return openai.OpenAI(base_url=server.base + "/v1", api_key="unused", max_retries=0)


def stories_case():
    case = fixture("fixtures/model/stories260K.json")["cases"][0]
    return case["prompt"], case["greedy_text_full"][len(case["prompt"]):]


def test_completion_is_the_greedy_reference(stories):
    prompt, continuation = stories_case()
    completion = client(stories).completions.create(model="stories", prompt=prompt, max_tokens=48, temperature=0,
                                                    extra_body={"ignore_eos": True})
    assert completion.object == "text_completion"
    assert completion.choices[0].text == continuation
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage.completion_tokens == 48
    assert completion.usage.prompt_tokens == 5


def test_completion_equals_ferry_generate(stories):
    prompt, _ = stories_case()
    generated = subprocess.run([str(FERRY), "generate", str(shared("models/stories260K")), "--prompt", prompt,
                                "--max-tokens", "20", "--temperature", "0", "--ignore-eos"],
                               capture_output=True, text=True, check=True).stdout
    completion = client(stories).completions.create(model="stories", prompt=prompt, max_tokens=20, temperature=0,
                                                    extra_body={"ignore_eos": True})
    assert completion.choices[0].text + "\n" == generated


def test_streamed_completion_concatenates_to_the_same_text(stories):
    prompt, continuation = stories_case()
    stream = client(stories).completions.create(model="stories", prompt=prompt, max_tokens=48, temperature=0,
                                                stream=True, extra_body={"ignore_eos": True})
    chunks = list(stream)
    assert "".join(chunk.choices[0].text for chunk in chunks if chunk.choices) == continuation
    assert chunks[-1].choices[0].finish_reason == "length"


def test_two_choices_with_a_seed_are_reproducible(stories):
    prompt, _ = stories_case()
    first = client(stories).completions.create(model="stories", prompt=prompt, max_tokens=12, temperature=0.9,
                                               n=2, seed=7)
    second = client(stories).completions.create(model="stories", prompt=prompt, max_tokens=12, temperature=0.9,
                                                n=2, seed=7)
    assert [c.index for c in first.choices] == [0, 1]
    assert [c.text for c in first.choices] == [c.text for c in second.choices]


def test_echo_prepends_the_prompt(stories):
    prompt, continuation = stories_case()
    completion = client(stories).completions.create(model="stories", prompt=prompt, max_tokens=10, temperature=0,
                                                    echo=True, extra_body={"ignore_eos": True})
    assert completion.choices[0].text.startswith(prompt)
    assert continuation.startswith(completion.choices[0].text[len(prompt):])


def test_logprobs_cover_every_token(stories):
    prompt, _ = stories_case()
    completion = client(stories).completions.create(model="stories", prompt=prompt, max_tokens=8, temperature=0,
                                                    logprobs=3, extra_body={"ignore_eos": True})
    logprobs = completion.choices[0].logprobs
    assert len(logprobs.tokens) == 8 == len(logprobs.token_logprobs) == len(logprobs.top_logprobs)
    assert all(value <= 0 for value in logprobs.token_logprobs)
    assert all(len(top) == 3 for top in logprobs.top_logprobs)
    assert "".join(logprobs.tokens) == completion.choices[0].text


def test_a_stop_string_ends_the_text_before_it(stories):
    prompt, continuation = stories_case()
    completion = client(stories).completions.create(model="stories", prompt=prompt, max_tokens=48, temperature=0,
                                                    stop=["girl"])
    assert completion.choices[0].text == continuation[:continuation.index("girl")]
    assert completion.choices[0].finish_reason == "stop"


def test_chat_answers_like_the_reference(smol):
    case = fixture("fixtures/model/SmolLM2-135M-Instruct.json")["cases"][0]
    answer = case["clear_prefix_text"].split("<|im_end|>")[0]
    chat = client(smol).chat.completions.create(model="smol", messages=case["messages"], temperature=0,
                                                max_tokens=40)
    assert chat.object == "chat.completion"
    assert chat.choices[0].message.role == "assistant"
    assert chat.choices[0].message.content == answer
    assert chat.choices[0].finish_reason == "stop"
    assert chat.choices[0].model_extra["stop_reason"] is None  # EOS, not a stop token
    assert chat.usage.prompt_tokens == len(case["prompt_ids"])


def test_streamed_chat_with_usage(smol):
    case = fixture("fixtures/model/SmolLM2-135M-Instruct.json")["cases"][0]
    answer = case["clear_prefix_text"].split("<|im_end|>")[0]
    stream = client(smol).chat.completions.create(model="smol", messages=case["messages"], temperature=0,
                                                  max_tokens=40, stream=True,
                                                  stream_options={"include_usage": True})
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == answer
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0
    assert chunks[-1].usage.total_tokens == chunks[-1].usage.prompt_tokens + chunks[-1].usage.completion_tokens


def test_models_list_names_the_served_model(smol):
    models = client(smol).models.list()
    assert [model.id for model in models.data] == ["smol"]
    assert models.data[0].object == "model"


def test_an_unknown_model_is_a_404_with_vllms_message(smol):
    with pytest.raises(openai.NotFoundError) as failure:
        client(smol).completions.create(model="gpt-4", prompt="hi", max_tokens=1)
    assert failure.value.body["message"] == "The model `gpt-4` does not exist."
