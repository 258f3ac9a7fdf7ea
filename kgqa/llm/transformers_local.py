"""A local Hugging Face causal LM (CPU or GPU), loaded only from local files.

``transformers``/``torch`` are imported lazily: only when this provider is used.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from kgqa.llm.base import LLM, Completion, ContextLengthExceeded, GenParams, LLMConfigError, LLMError, Message

log = logging.getLogger(__name__)


class TransformersLLM(LLM):
    """Generation with ``model.generate``; JSON comes from the prompt (no server-side schema enforcement)."""

    provider = "transformers"

    def __init__(self, name_or_path: str, device: str | None = None) -> None:
        if not name_or_path:
            raise LLMConfigError("the LLM spec names no model", "use transformers:/path/to/model (a local directory)")
        self.model = name_or_path
        self._device_setting = device
        self._lock = threading.Lock()
        self._loaded: tuple[Any, Any, Any] | None = None
        path = Path(name_or_path).expanduser()
        looks_like_path = name_or_path.startswith((".", "/", "~")) or name_or_path.count("/") > 1
        if looks_like_path and not path.exists():
            raise LLMConfigError(
                f"transformers model path does not exist: {path}",
                "point KGQA_LLM (or --llm) at a directory saved with save_pretrained: transformers:/path/to/model",
            )
        if path.exists() and not (path / "config.json").exists():
            raise LLMConfigError(
                f"{path} is not a Hugging Face model directory (no config.json)",
                "use a directory written by save_pretrained / huggingface-cli download",
            )

    # The model is loaded on first use so that `kgqa llm prompts` etc. stay fast.
    def _load(self) -> tuple[Any, Any, Any]:
        with self._lock:
            if self._loaded is not None:
                return self._loaded
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                import torch
                from transformers import AutoModelForCausalLM, AutoTokenizer
                from transformers import __version__ as transformers_version
                from transformers.utils import logging as hf_logging
            except ImportError as exc:
                raise LLMConfigError(
                    "the transformers provider needs the transformers and torch packages",
                    "pip install 'kgqa[transformers]'",
                ) from exc
            hf_logging.disable_progress_bar()
            target = str(Path(self.model).expanduser()) if Path(self.model).expanduser().exists() else self.model
            device = self._device_setting or "auto"
            if device == "auto":
                device = "cuda" if torch.cuda.is_available() else "cpu"
            try:
                tokenizer = AutoTokenizer.from_pretrained(target, local_files_only=True)
                dtype = torch.float16 if device.startswith("cuda") else torch.float32
                major_minor = tuple(int(x) for x in transformers_version.split(".")[:2])
                dtype_arg = "dtype" if major_minor >= (4, 56) else "torch_dtype"  # renamed in 4.56
                model = AutoModelForCausalLM.from_pretrained(target, local_files_only=True, **{dtype_arg: dtype})
            except (OSError, ValueError) as exc:
                raise LLMConfigError(
                    f"cannot load transformers model {self.model!r} from local files: {str(exc).splitlines()[0]}",
                    "give a local directory (transformers:/path/to/model) or a model already in the HF cache; "
                    "kgqa never downloads weights",
                ) from exc
            model.to(device)
            model.eval()
            self._loaded = (tokenizer, model, torch)
            return self._loaded

    def _render(self, tokenizer: Any, messages: list[Message]) -> str:
        if getattr(tokenizer, "chat_template", None):
            try:
                return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            except Exception as exc:  # a template that rejects e.g. system messages
                log.warning("chat template failed (%s); using a plain transcript", exc)
        lines = [f"{m['role']}: {m['content']}" for m in messages]
        return "\n\n".join([*lines, "assistant:"])

    def complete(
        self,
        messages: list[Message],
        params: GenParams | None = None,
        json_schema: dict[str, Any] | None = None,
        *,
        prompt: str | None = None,
    ) -> Completion:
        params = params or GenParams()
        tokenizer, model, torch = self._load()
        text = self._render(tokenizer, messages)
        inputs = tokenizer(text, return_tensors="pt", add_special_tokens=False)
        inputs.pop("token_type_ids", None)
        n_prompt = int(inputs["input_ids"].shape[-1])
        limit = getattr(model.config, "max_position_embeddings", None) or getattr(model.config, "n_positions", None)
        if limit and n_prompt + 1 > int(limit):
            raise ContextLengthExceeded(
                f"transformers:{self.model}: the prompt has {n_prompt} tokens; the model's context is {limit}",
                "use a model with a longer context, or smaller chunks (kgqa build --chunk-size) / fewer examples",
            )
        max_new = params.max_new_tokens
        if limit:
            max_new = max(1, min(max_new, int(limit) - n_prompt))
        gen: dict[str, Any] = {"max_new_tokens": max_new, "do_sample": params.temperature > 0}
        if params.temperature > 0:
            gen["temperature"] = params.temperature
            if params.top_p is not None:
                gen["top_p"] = params.top_p
            if params.top_k is not None:
                gen["top_k"] = params.top_k
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        if pad is not None:
            gen["pad_token_id"] = pad
        started = time.perf_counter()
        device = next(model.parameters()).device
        with self._lock:  # one generate at a time per model (memory; torch threads already parallelise)
            if params.seed is not None:
                torch.manual_seed(params.seed)
            try:
                with torch.no_grad():
                    output = model.generate(**{k: v.to(device) for k, v in inputs.items()}, **gen)
            except RuntimeError as exc:
                raise LLMError(f"transformers:{self.model}: generation failed: {exc}", "try --llm offline") from exc
        new_tokens = output[0][n_prompt:]
        reply = tokenizer.decode(new_tokens, skip_special_tokens=True)
        eos = tokenizer.eos_token_id
        stopped = eos is not None and len(new_tokens) > 0 and int(new_tokens[-1]) == int(eos)
        finish = "stop" if stopped or len(new_tokens) < max_new else "length"
        for stop in params.stop:
            if stop in reply:
                reply, finish = reply.split(stop, 1)[0], "stop"
        return Completion(
            text=reply,
            usage={"prompt_tokens": n_prompt, "completion_tokens": len(new_tokens)},
            model=self.model,
            provider=self.provider,
            latency_ms=(time.perf_counter() - started) * 1000.0,
            finish_reason=finish,
            json_mode="prompt",
            prompt=prompt,
        )

    def close(self) -> None:
        self._loaded = None
