"""One home for configuration: defaults, overridden by an optional TOML file, overridden by env vars.

Every setting has a default that works on a fresh machine, so `python -m rag serve` needs no
configuration. The file is `rag.toml` in the working directory, or the path in `RAG_CONFIG`.
Environment variables are the field names upper-cased with a `RAG_` prefix
(`RAG_TOP_K=5`, `RAG_LLM_BASE_URL=http://127.0.0.1:8080/v1`).

Example:
    >>> from rag.settings import get_settings
    >>> get_settings().embed_model
    'intfloat/multilingual-e5-small'
"""
from __future__ import annotations

import dataclasses
import difflib
import functools
import logging
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ANSWER_MODES = ("auto", "extractive", "llm")
# Files kept in the cache folder: they follow `cache_dir` (RAG_CACHE_DIR) unless set on their own.
_CACHE_FILES = {"feedback_db": "feedback.sqlite3", "log_file": "requests.log"}
# `RAG_*` variables read outside `Settings`, so not flagged as unknown: the config file's path.
_OTHER_ENV = {"RAG_CONFIG"}
_TYPE_NAMES = {int: "an integer", float: "a number", tuple: "comma-separated numbers"}  # bool and text always parse
log = logging.getLogger(__name__)


def _cache_home() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "vn-legal-rag"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = ROOT / "data"
    index_dir: Path = ROOT / "index"
    prompts_dir: Path = ROOT / "prompts"
    cache_dir: Path = field(default_factory=_cache_home)
    embed_model: str = "intfloat/multilingual-e5-small"
    embed_backend: str = "torch"  # or "onnx-int8": the same model as int8 ONNX, ~2x faster builds and queries
    top_k: int = 10
    max_question_chars: int = 2000
    chunk_tokens: int = 400
    answer_mode: str = "extractive"  # "auto" uses an LLM when one is reachable: on 2 cores ~10 s and less exact
    abstain_threshold: float = 0.67  # below it, refuse; calibrated on golden + held-out + informal tune half + laws tune halves together
    # An answer less than this above the threshold opens with a caution. On the laws citizen tune half
    # 3 of the 5 answers there cite no gold article (2 answer out-of-scope questions); 15 of 539 on
    # Thông tư 10's sets get it, all right.
    caution_margin: float = 0.07
    nearest_margin: float = 0.15  # a refusal at most this far below the threshold names the nearest unit found (0 = never); set on the laws citizen tune half
    llm_model_path: str = ""
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_max_tokens: int = 100
    llm_context_tokens: int = 200
    llm_threads: int = 2
    llm_timeout: float = 30.0  # seconds before a remote LLM call gives up (then auto mode answers extractively)
    # Retrieval: weights and thresholds tuned on eval/golden.jsonl (see eval/README.md).
    candidates_per_retriever: int = 1000  # top N of each retriever before fusion (a top-k store such as pgvector ranks the same)
    weights_accented: tuple[float, ...] = (0.45, 0.30, 0.25)  # dense, BM25 words, BM25 folded: typed with diacritics
    weights_unaccented: tuple[float, ...] = (0.45, 0.15, 0.40)  # restored accents are guesses: lean on folded BM25
    weights_english: tuple[float, ...] = (0.5, 0.25, 0.25)  # after the glossary adds the Vietnamese terms
    document_bonus: float = 0.3  # the question names the document ("theo Luật Cư trú", "Thông tư 10")
    body_bonus: float = 0.3  # the question names the body whose article this is
    aspect_bonus: float = 0.25  # "Trung tâm TĐC có nhiệm vụ gì?": that body's "Nhiệm vụ, quyền hạn" clause
    title_bonus: float = 0.1  # "… là gì?": units of a "Giải thích từ ngữ" article (lexicon article_titles)
    role_bonus: float = 0.15  # "đơn vị nào", "liên hệ ở đâu" → service centres; "cơ quan nào" → state bodies
    article_spread: int = 4  # each further unit of an already ranked article moves this many places down (0 = off)
    news_penalty: float = 0.1  # most questions are about regulations; news wins on its own facts
    confidence_mix: tuple[float, ...] = (0.35, 0.15, 0.5)  # topic syllables covered, topic bigrams covered, dense (see confidence.py)
    topic_size: int = 10  # topic terms counted in full by coverage; further ones (a story's details) count as a square root
    confidence_dense_floor: float = 0.78  # e5 similarity at which the dense part of confidence starts (0 below)
    confidence_dense_span: float = 0.1  # ... and the span over which it rises to 1
    other_topic_weight: float = 4.0  # confidence falls as a question is closer to an uncovered area than to any unit
    topic_other_margin: float = 0.02  # the same for a named body's topic alone, beyond this gap (Retriever._topic_other)
    # Extractive answers
    max_cited: int = 3  # units quoted per answer
    score_window: float = 0.12  # units scoring within this of the best are cited too
    who_window: float = 0.25  # for "who" questions, another body's best unit may trail by this much
    fragment_chars: int = 300  # a longer unit is quoted by its pieces that match the question
    list_chars: int = 900  # a list question ("gồm những gì") quotes an item's whole list (clause, article) up to this length
    # Chat app limits (per minute, with a burst; 0 = no limit). Behind a proxy, set trusted_proxy_header.
    session_questions_per_minute: float = 20.0  # one chat session
    session_question_burst: int = 3
    address_questions_per_minute: float = 120.0  # one client address (raw API calls are new sessions each)
    address_question_burst: int = 20
    feedback_per_minute: float = 10.0  # votes and comments per client address
    trusted_proxy_header: str = ""  # e.g. "X-Forwarded-For": take the client address from it (only behind your proxy)
    feedback_timeout: float = 5.0  # seconds a vote/comment waits for a locked feedback DB before saying it failed
    chat_workers: int = 8  # Gradio queue workers per event: LLM answers are gated below, so extractive ones always get a worker
    llm_queue_size: int = 2  # LLM answers generated at once (the rest wait; one local model serialises anyway)
    llm_queue_max_waiting: int = 4  # LLM answers allowed to wait; beyond this "llm" is refused as busy, "auto" answers extractively
    index_reload_seconds: float = 10.0  # how often the app checks index/current for a new build and swaps it in (0 = never)
    max_upload_mb: int = 20  # largest document accepted (Gradio's max_file_size, the admin page, `rag add`)
    max_request_kb: int = 1024  # largest other request body: a question, its mode and the conversation so far fit
    admin_token: str = ""  # enables /admin and file uploads for requests with "Authorization: Bearer <token>"; empty = off
    feedback_db: Path = field(default_factory=lambda: _cache_home() / _CACHE_FILES["feedback_db"])
    log_file: Path = field(default_factory=lambda: _cache_home() / _CACHE_FILES["log_file"])

    def __post_init__(self) -> None:
        if self.answer_mode not in ANSWER_MODES:
            raise ValueError(
                f"answer_mode={self.answer_mode!r} is not valid. Valid modes are: {', '.join(ANSWER_MODES)}"
            )
        if self.top_k < 1:
            raise ValueError("top_k must be at least 1")
        if self.max_upload_mb < 1:
            raise ValueError("max_upload_mb must be at least 1")
        negative = [f.name for f in fields(self) if isinstance(v := getattr(self, f.name), (int, float))
                    and not isinstance(v, bool) and v < 0]
        if negative:  # a reload every -5 s, a rate of -1 a minute: no meaning, and they had been taken silently
            raise ValueError(f"{', '.join(negative)} must not be negative")

    @property
    def model_dir(self) -> Path:
        """Where provisioned models live: outside the repo, shared between clones."""
        return self.cache_dir / "models"


def _coerce(value: object, like: object) -> object:
    if isinstance(like, tuple):
        items = value if isinstance(value, (list, tuple)) else str(value).split(",")
        return tuple(float(v) for v in items)
    if isinstance(like, Path):
        return Path(str(value)).expanduser()
    if isinstance(like, bool):
        return str(value).lower() in ("1", "true", "yes", "on")
    if isinstance(like, int):
        return int(value)
    if isinstance(like, float):
        return float(value)
    return str(value)


def _coerce_named(value: object, like: object, source: str) -> object:
    """`_coerce`, but a value of the wrong type is a ValueError naming its setting and the type expected:
    Python's own message ("invalid literal for int() with base 10: 'abc'") names neither."""
    try:
        return _coerce(value, like)
    except (TypeError, ValueError):
        expected = next((name for kind, name in _TYPE_NAMES.items() if isinstance(like, kind)), "text")
        raise ValueError(f"{source}={str(value)[:50]!r} is not valid: expected {expected}") from None


def _warn_unknown_env(env: dict[str, str]) -> None:
    """Log a warning for each `RAG_*` variable that is no setting, so a misspelt `RAG_TOPK=3` is not
    ignored silently. A warning, not the error an unknown key in the TOML file gets: that file is
    written for this program alone, while the environment is shared with other programs and older
    deployments, and a stray variable there must not stop the chat from starting."""
    known = {"RAG_" + f.name.upper() for f in fields(Settings)} | _OTHER_ENV
    for key in sorted(k for k in env if k.startswith("RAG_") and k not in known):
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.8)
        log.warning("%s is not a setting and is ignored%s", key, f" (did you mean {close[0]}?)" if close else "")


def load_settings(env: dict[str, str] | None = None, config_file: Path | None = None) -> Settings:
    """Build settings from defaults, then the TOML file, then `RAG_*` environment variables.

    The feedback DB and the request log live in `cache_dir` unless set on their own, so moving the
    cache folder (RAG_CACHE_DIR) moves them too."""
    env = dict(os.environ) if env is None else env
    defaults = Settings()
    named = Path(env["RAG_CONFIG"]) if env.get("RAG_CONFIG") else None
    path = config_file or named or Path("rag.toml")
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    if path == named and not named.is_file():  # a mistyped path had quietly run on the defaults (another corpus)
        raise ValueError(f"RAG_CONFIG: no settings file at {named}")
    if path.is_file():
        try:
            with path.open("rb") as fh:
                values.update(tomllib.load(fh))
        except tomllib.TOMLDecodeError as e:
            raise ValueError(f"{path}: {e}") from None
        sources.update({k: f"{k} in {path}" for k in values})
    for f in fields(Settings):
        key = "RAG_" + f.name.upper()
        if key in env:
            values[f.name], sources[f.name] = env[key], key
    _warn_unknown_env(env)
    unknown = set(values) - {f.name for f in fields(Settings)}
    if unknown:
        raise ValueError(f"Unknown settings in {path}: {', '.join(sorted(unknown))}")
    coerced = {k: _coerce_named(v, getattr(defaults, k), sources[k]) for k, v in values.items()}
    cache_dir = coerced.get("cache_dir", defaults.cache_dir)
    for name, filename in _CACHE_FILES.items():
        coerced.setdefault(name, cache_dir / filename)
    return dataclasses.replace(defaults, **coerced)


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, read once."""
    return load_settings()
