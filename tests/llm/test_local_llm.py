"""The local transformers backend with the embedded SmolLM2 (converted once per session into a tmp dir)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assistant.config import LlmConfig
from assistant.llm import TransformersLLM, create_llm, prepare_llm
from assistant.llm.models import resolve_model_source
from contracts.messages import AssistantError, ErrorCode


@pytest.fixture(scope="session")
def llm_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("llm-data")


@pytest.fixture(scope="session")
def smollm(llm_data_dir: Path) -> TransformersLLM:
    messages: list[str] = []
    cfg = LlmConfig(model="smollm2-135m-instruct", device="cpu")
    folder = prepare_llm(cfg, llm_data_dir, messages.append)
    assert folder is not None and Path(folder, "model.safetensors").exists()
    assert any("Converting" in m for m in messages)
    llm = create_llm(cfg, data_dir=llm_data_dir)
    assert isinstance(llm, TransformersLLM)
    llm.warmup()
    return llm


@pytest.mark.slow
def test_cached_conversion_is_reused(smollm: TransformersLLM, llm_data_dir: Path) -> None:
    messages: list[str] = []
    started = time.perf_counter()
    folder = prepare_llm(LlmConfig(model="smollm2-135m-instruct"), llm_data_dir, messages.append)
    assert messages == []  # nothing converted again
    assert time.perf_counter() - started < 5
    assert folder == smollm.model_path


@pytest.mark.slow
def test_chat_answers_with_template(smollm: TransformersLLM) -> None:
    assert smollm.has_chat_template
    reply = "".join(smollm.chat([{"role": "user", "content": "What is the capital of France?"}], max_tokens=24))
    assert "Paris" in reply


@pytest.mark.slow
def test_generate_streams_and_honours_stop(smollm: TransformersLLM) -> None:
    pieces = list(smollm.generate("Count: one, two, three, four, five,", max_tokens=20, stop=[","]))
    text = "".join(pieces)
    assert "," not in text
    assert len(pieces) >= 1
    unlimited = "".join(smollm.generate("Count: one, two, three, four, five,", max_tokens=6))
    assert unlimited.startswith(text)


@pytest.mark.slow
def test_score_matches_unbatched_likelihood(smollm: TransformersLLM) -> None:
    import torch

    prompt = "Request: it is too dark in the kitchen\nAction:"
    candidates = [" Turn on the kitchen light.", " Lock the front door.", " Open the garage door now please."]
    scores = smollm.score(prompt, candidates)
    assert len(scores) == 3 and all(s < 0 for s in scores)
    model, tokenizer = smollm._model, smollm._tokenizer
    prompt_ids = smollm._encode_prompt(prompt)
    for candidate, batched in zip(candidates, scores, strict=True):
        ids = tokenizer(candidate, add_special_tokens=False)["input_ids"]
        with torch.inference_mode():
            logp = torch.log_softmax(model(torch.tensor([prompt_ids + ids])).logits[0].float(), -1)
        expected = sum(float(logp[len(prompt_ids) - 1 + j, t]) for j, t in enumerate(ids))
        assert batched == pytest.approx(expected, abs=1e-3)


@pytest.mark.slow
def test_score_calibrated_is_difference(smollm: TransformersLLM) -> None:
    prompt, null = "Request: lights on in the kitchen\nAction:", "Request:\nAction:"
    candidates = [" Turn on the kitchen light.", " Turn off the kitchen light."]
    calibrated = smollm.score_calibrated(prompt, candidates, null)
    expected = [a - b for a, b in zip(smollm.score(prompt, candidates), smollm.score(null, candidates), strict=True)]
    assert calibrated == pytest.approx(expected, abs=1e-4)
    assert smollm.score(prompt, []) == []


def test_backend_none_gives_none(tmp_path: Path) -> None:
    assert create_llm(LlmConfig(backend="none"), data_dir=tmp_path) is None


def test_unknown_model_offline_is_refused() -> None:
    with pytest.raises(AssistantError) as info:
        resolve_model_source("someone/unknown-llm", offline=True)
    assert info.value.code is ErrorCode.MODEL_UNAVAILABLE


def test_folder_without_weights_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AssistantError) as info:
        resolve_model_source(str(tmp_path))
    assert info.value.code is ErrorCode.MODEL_UNAVAILABLE


def test_gguf_file_resolves_to_conversion(tmp_path: Path) -> None:
    gguf = tmp_path / "My Model.Q4.gguf"
    gguf.write_bytes(b"GGUF")
    source = resolve_model_source(str(gguf))
    assert source.kind == "gguf" and source.name == "My-Model.Q4" and source.path == gguf.resolve()


def _set_scoring(llm: TransformersLLM, *, packed: bool, prefix: int, memo: int) -> None:
    llm.packed_scoring, llm.prefix_cache_tokens, llm.score_memo_size = packed, prefix, memo
    llm.clear_caches()


@pytest.mark.slow
def test_packed_prefix_scoring_matches_the_padded_path(smollm: TransformersLLM) -> None:
    shots = "A smart home assistant maps each request to one action.\nRequest: kill the music\nAction: Pause the TV.\n"
    null = f"{shots}Request:\nAction:"
    candidates = [" Turn on the Office Light.", " Turn on the Office Lamp.", " Open the Office Blinds.", " x", ""]
    requests = ["it is dim in the office", "open up the blinds"]
    try:
        _set_scoring(smollm, packed=False, prefix=0, memo=0)
        plain = [smollm.score_calibrated(f"{shots}Request: {r}\nAction:", candidates, null) for r in requests]
        _set_scoring(smollm, packed=True, prefix=4096, memo=4096)
        fast = [smollm.score_calibrated(f"{shots}Request: {r}\nAction:", candidates, null) for r in requests]
        stats = smollm.cache_stats()
        assert stats["reused_tokens"] > 0  # the second request resumed from the first one's instructions
        again = smollm.score_calibrated(f"{shots}Request: {requests[0]}\nAction:", candidates, null)  # memoised
    finally:
        _set_scoring(smollm, packed=True, prefix=4096, memo=4096)
    for want, got in zip(plain, fast, strict=True):
        assert got == pytest.approx(want, abs=1e-3)
    assert again == pytest.approx(fast[0], abs=1e-9)
    assert fast[0][-1] == 0.0  # an empty continuation scores 0


@pytest.mark.slow
def test_score_many_equals_separate_calls(smollm: TransformersLLM) -> None:
    a, b = "Request: lights on\nAction:", "Question: what is the capital of France?\nAnswer:"
    conts_a, conts_b = [" Turn on the light.", " Turn off the light."], [" Paris.", " Paris is the capital.", " Rome."]
    _set_scoring(smollm, packed=True, prefix=4096, memo=0)
    try:
        together = smollm.score_many([(a, conts_a), (b, conts_b)])
        separate = [smollm.score(a, conts_a), smollm.score(b, conts_b)]
    finally:
        _set_scoring(smollm, packed=True, prefix=4096, memo=4096)
    for want, got in zip(separate, together, strict=True):
        assert got == pytest.approx(want, abs=1e-3)
    assert smollm.score_many([(a, [])]) == [[]]


@pytest.mark.slow
def test_generation_is_unchanged_by_the_prefix_cache(smollm: TransformersLLM) -> None:
    messages = [
        {"role": "system", "content": "You are a terse assistant."},
        {"role": "user", "content": "Name a fruit."},
    ]
    try:
        _set_scoring(smollm, packed=True, prefix=0, memo=0)
        uncached = "".join(smollm.chat(messages, max_tokens=12))
        _set_scoring(smollm, packed=True, prefix=4096, memo=4096)
        first = "".join(smollm.chat(messages, max_tokens=12))
        second = "".join(smollm.chat(messages, max_tokens=12))  # exact prompt hit: resumes from the cached prompt
        assert smollm.cache_stats()["hits"] >= 1
    finally:
        _set_scoring(smollm, packed=True, prefix=4096, memo=4096)
    assert uncached == first == second and uncached
