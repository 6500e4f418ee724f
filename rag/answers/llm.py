"""LLM backends through llama-index LLM classes: they return text, the `Assistant` does the rest.

Backends (never the global llama-index `Settings.llm`, so nothing reaches for a network default):
- local: Qwen2.5-Coder-1.5B-Instruct GGUF run by llama-cpp-python (`LlamaCPP`), installed by
  `python -m rag setup-llm` (`rag.models.llm`);
- remote: any OpenAI-compatible server (`OpenAILike`): vLLM, llama.cpp's server, Ollama's /v1.

This module only prompts and streams: packing the context, validating citations and falling
back to the extractive answer belong to `rag.answers.assistant` and `rag.answers.grounding`.
Availability is checked at most every `AVAILABILITY_TTL` seconds (auto mode asks per question).
Reasons shown to users never contain a URL, a key or a path (`public_status`).
"""
from __future__ import annotations

import importlib
import json
import logging
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from rag.models.llm import local_model_path
from rag.settings import Settings

log = logging.getLogger(__name__)
AVAILABILITY_TTL = 30.0
_checked: dict[tuple, tuple[float, bool, str]] = {}
HINTS = {"not configured": "chưa cài mô hình (chạy `python -m rag setup-llm` hoặc đặt RAG_LLM_BASE_URL)",
         "unreachable": "không kết nối được máy chủ mô hình (RAG_LLM_BASE_URL)",
         "not installed": "thiếu thư viện llama-cpp-python (pip install -e '.[llm]')"}


def _check(settings: Settings) -> tuple[bool, str]:
    """(available, short public reason)."""
    if settings.llm_base_url:
        try:
            req = urllib.request.Request(settings.llm_base_url.rstrip("/") + "/models",
                                         headers={"Authorization": f"Bearer {settings.llm_api_key or 'none'}"})
            urllib.request.urlopen(req, timeout=2).close()
            return True, "ready"
        except Exception as e:  # noqa: BLE001 - any failure means "not reachable"
            log.warning("LLM server unreachable (%s)", e.__class__.__name__)
            return False, "unreachable"
    if not local_model_path(settings).is_file():
        return False, "not configured"
    if importlib.util.find_spec("llama_cpp") is None:
        return False, "not installed"
    return True, "ready"


def llm_available(settings: Settings) -> tuple[bool, str]:
    """Whether an LLM is configured and reachable, and why in one safe word ("ready", "not configured",
    "unreachable", "not installed"); cached for `AVAILABILITY_TTL` seconds per configuration."""
    key = (settings.llm_base_url, settings.llm_api_key, settings.llm_model_path, str(settings.model_dir))
    now = time.monotonic()
    hit = _checked.get(key)
    if hit is None or now - hit[0] > AVAILABILITY_TTL:
        hit = (now, *_check(settings))
        _checked[key] = hit
    return hit[1], hit[2]


def chatml(messages) -> str:
    """Qwen's ChatML prompt; the system message comes first so llama.cpp can reuse its cached prefix."""
    body = "".join(f"<|im_start|>{m.role.value}\n{m.content}<|im_end|>\n" for m in messages)
    return body + "<|im_start|>assistant\n"


def _make_llm(settings: Settings):
    if settings.llm_base_url:
        from llama_index.llms.openai_like import OpenAILike

        return OpenAILike(model=settings.llm_model or "local", api_base=settings.llm_base_url,
                          api_key=settings.llm_api_key or "none", is_chat_model=True, temperature=0.0,
                          max_tokens=settings.llm_max_tokens, timeout=settings.llm_timeout, max_retries=0)
    from llama_index.llms.llama_cpp import LlamaCPP

    return LlamaCPP(model_path=str(local_model_path(settings)), temperature=0.0, max_new_tokens=settings.llm_max_tokens,
                    context_window=2048, messages_to_prompt=chatml, completion_to_prompt=lambda c: c,
                    generate_kwargs={"repeat_penalty": 1.15, "top_k": 1},
                    model_kwargs={"n_threads": settings.llm_threads, "verbose": False}, verbose=False)


class LLMBackend:
    """Prompts and streaming for one LLM (calls are serialised: 2 cores, one model).

    `condenses`: whether follow-ups are rewritten with `prompts/condense.txt`. Off for the local
    1.5B model, which rewrote our golden follow-ups worse than the rules in `rag.query.followup`
    (Hit@1 0.667 vs 1.000) and added a generation before every follow-up answer; on for an
    OpenAI-compatible server, which usually hosts a larger model."""

    def __init__(self, llm, prompts_dir: Path, documents: str = "các văn bản đã nạp", condenses: bool = True):
        self.llm = llm
        self.condenses = condenses
        self.prompts = {name: (prompts_dir / f"{name}.txt").read_text(encoding="utf-8").strip()
                        for name in ("system", "qa", "condense", "judge")}
        self.prompts["system"] = self.prompts["system"].replace("{documents}", documents)
        self.examples = json.loads((prompts_dir / "examples.json").read_text(encoding="utf-8"))["examples"]
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, documents: str = "các văn bản đã nạp") -> "LLMBackend":
        ok, why = llm_available(settings)
        if not ok:
            raise RuntimeError(f"Chế độ mô hình ngôn ngữ không dùng được: {HINTS.get(why, why)}")
        backend = cls(_make_llm(settings), settings.prompts_dir, documents, condenses=bool(settings.llm_base_url))
        if not settings.llm_base_url:
            backend.prime()
        return backend

    def _user_turn(self, question: str, context: list[tuple[str, str]]):
        from llama_index.core.llms import ChatMessage

        numbered = "\n".join(f"[{i}] ({src}) {text}" for i, (src, text) in enumerate(context, 1))
        return ChatMessage(role="user", content=self.prompts["qa"].format(context=numbered, question=question,
                                                                          k=len(context)))

    def _prefix(self):
        """System prompt and worked examples: the same for every question, so llama.cpp reuses them."""
        from llama_index.core.llms import ChatMessage

        turns = [ChatMessage(role="system", content=self.prompts["system"])]
        for ex in self.examples:
            turns += [self._user_turn(ex["question"], [tuple(c) for c in ex["context"]]),
                      ChatMessage(role="assistant", content=ex["answer"])]
        return turns

    def messages(self, question: str, context: list[tuple[str, str]]):
        """The fixed prefix first, then this question's numbered (source, text) context and the question."""
        return [*self._prefix(), self._user_turn(question, context)]

    def prime(self) -> None:
        """Evaluate the fixed prefix once, so later prompts reuse it from llama.cpp's cache."""
        from llama_index.core.llms import ChatMessage

        with self._lock:
            for _ in self.llm.stream_chat([*self._prefix(), ChatMessage(role="user", content=".")]):
                break

    def stream(self, messages) -> Iterator[str]:
        """The answer's text, token by token."""
        with self._lock:
            for chunk in self.llm.stream_chat(messages):
                if chunk.delta:
                    yield chunk.delta

    def complete(self, prompt: str) -> str:
        """One user turn, the whole reply (condensing follow-ups, judging faithfulness)."""
        from llama_index.core.llms import ChatMessage

        with self._lock:
            return self.llm.chat([ChatMessage(role="user", content=prompt)]).message.content or ""

    def condense(self, question: str, history: list[dict]) -> str:
        turns = "\n".join(f"{t.get('role')}: {t.get('content')}" for t in history[-4:] if isinstance(t.get("content"), str))
        out = self.complete(self.prompts["condense"].format(history=turns, question=question))
        out = out.strip().splitlines()[0].strip() if out.strip() else ""
        return out if 3 <= len(out) <= 400 else question
