"""The transformers provider end to end with a tiny random Llama built in the test (no downloads).

Its output is nonsense: the pipeline must handle that (extraction reports the chunk; nothing crashes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgqa.config import Settings
from kgqa.llm.base import ContextLengthExceeded, GenParams, LLMConfigError, OutputTruncated, StructuredOutputError
from kgqa.llm.factory import get_llm, reset_providers

pytest.importorskip("transformers")

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} <|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
SENTENCES = [
    "Ada Lovelace works for Acme Corporation .",
    "Charles Babbage is the CEO of Acme Corporation .",
    'Reply with one JSON object { "entities" : [ ] , "triples" : [ ] } only .',
    "Who is the CEO of Acme Corporation ?",
]


def make_tiny_model(directory: Path, max_positions: int = 256) -> Path:
    """A 2-layer Llama (hidden 32, random weights) and a WordLevel tokenizer with a chat template."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    special = ["<unk>", "<pad>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]
    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(SENTENCES * 3, trainers.WordLevelTrainer(special_tokens=special, min_frequency=1))
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>", bos_token="<s>", eos_token="</s>"
    )
    fast.chat_template = CHAT_TEMPLATE
    config = LlamaConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=max_positions,
        pad_token_id=fast.pad_token_id,
        bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id,
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(directory)
    fast.save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    reset_providers()
    return Settings(_env_file=None, home=tmp_path, llm_cache=True, llm_device="cpu")


def test_generates_deterministically_with_usage(tiny_model: Path, settings: Settings) -> None:
    llm = get_llm(f"transformers:{tiny_model}", settings)
    messages = [
        {"role": "system", "content": "Reply with one JSON object"},
        {"role": "user", "content": "Who is the CEO of Acme Corporation ?"},
    ]
    params = GenParams(max_new_tokens=12, seed=1)
    first = llm.complete(messages, params, {"type": "object"}, prompt="check@1")
    assert first.provider == "transformers" and first.json_mode == "prompt"
    assert first.usage["prompt_tokens"] > 10 and 0 < first.usage["completion_tokens"] <= 12
    assert first.finish_reason in ("stop", "length")
    again = llm.complete(messages, params, {"type": "object"}, prompt="check@1")
    assert again.cached and again.text == first.text
    reset_providers()
    fresh = get_llm(f"transformers:{tiny_model}", settings.model_copy(update={"llm_cache": False}))
    assert fresh.complete(messages, params, prompt="check@1").text == first.text  # greedy is reproducible


def test_nonsense_output_fails_extraction_gracefully(tiny_model: Path, settings: Settings) -> None:
    from kgqa.ingest.extract.llm import LLMExtractor
    from kgqa.ingest.model import Chunk, Document, Sentence
    from kgqa.ontology import load_ontology

    settings = settings.model_copy(update={"llm_max_tokens": 16, "llm_reasks": 1, "llm_cache": False})
    extractor = LLMExtractor(get_llm(f"transformers:{tiny_model}", settings), settings)
    text = "Ada Lovelace works for Acme Corporation ."
    doc = Document("d", text)
    chunk = Chunk("d#0", "d", 0, text, 0, len(text), [Sentence(text, 0, len(text), 0)])
    [ex] = extractor.extract(doc, [chunk], load_ontology())
    assert ex.facts == [] and len(ex.errors) == 1
    assert ex.errors[0].startswith("d#0: extraction failed:")


def test_structured_output_from_nonsense_raises_a_clear_error(tiny_model: Path, settings: Settings) -> None:
    from pydantic import BaseModel

    from kgqa.llm.structured import complete_structured

    class Ping(BaseModel):
        ok: bool

    llm = get_llm(f"transformers:{tiny_model}", settings.model_copy(update={"llm_cache": False}))
    with pytest.raises((StructuredOutputError, OutputTruncated)) as info:
        complete_structured(
            llm,
            [{"role": "user", "content": "Reply with one JSON object"}],
            Ping,
            GenParams(max_new_tokens=8),
            reasks=0,
        )
    assert "transformers:" in str(info.value)


def test_context_window_is_enforced(tmp_path: Path, settings: Settings) -> None:
    small = make_tiny_model(tmp_path / "small", max_positions=16)
    llm = get_llm(f"transformers:{small}", settings)
    with pytest.raises(ContextLengthExceeded):
        llm.complete([{"role": "user", "content": " ".join(SENTENCES * 3)}], GenParams(max_new_tokens=4))


def test_missing_model_path_names_the_setting(tmp_path: Path, settings: Settings) -> None:
    with pytest.raises(LLMConfigError) as info:
        get_llm(f"transformers:{tmp_path}/no-such-model", settings)
    assert "does not exist" in info.value.message and "KGQA_LLM" in info.value.hint
    (tmp_path / "empty").mkdir()
    with pytest.raises(LLMConfigError) as info:
        get_llm(f"transformers:{tmp_path}/empty", settings)
    assert "config.json" in info.value.message
    with pytest.raises(LLMConfigError) as info:  # a hub name that is not in the local cache: never downloaded
        get_llm("transformers:nobody/not-a-cached-model", settings).complete([{"role": "user", "content": "x"}])
    assert "local files" in info.value.message
