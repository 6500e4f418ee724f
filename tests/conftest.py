"""Shared fixtures: every data path goes to a temporary folder; the real model is shared.

The embedding model is provisioned once into the user cache (as the product does); the index
is built once per test session into a temporary folder, so tests never touch `index/`. The
corpus is the one the repository ships (`shipped.py`), whatever an admin has added to `data/`.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from rag.settings import Settings, get_settings, load_settings

from shipped import DATA  # noqa: E402 - the shipped corpus, whatever an admin added to data/

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
SHARED_CACHE = Path(os.environ.get("RAG_CACHE_DIR", Settings().cache_dir))


@pytest.fixture(scope="session")
def session_settings(tmp_path_factory) -> Settings:
    tmp = tmp_path_factory.mktemp("rag")
    return dataclasses.replace(load_settings(env={}), data_dir=DATA, index_dir=tmp / "index", cache_dir=SHARED_CACHE,
                               feedback_db=tmp / "feedback.sqlite3", log_file=tmp / "requests.log")


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch, tmp_path, session_settings):
    """CLI and app code read settings from the environment: point them at the session's paths."""
    monkeypatch.setenv("RAG_DATA_DIR", str(DATA))
    monkeypatch.setenv("RAG_INDEX_DIR", str(session_settings.index_dir))
    monkeypatch.setenv("RAG_CACHE_DIR", str(SHARED_CACHE))
    monkeypatch.setenv("RAG_FEEDBACK_DB", str(tmp_path / "feedback.sqlite3"))
    monkeypatch.setenv("RAG_LOG_FILE", str(tmp_path / "requests.log"))
    (tmp_path / "empty.toml").write_text("", encoding="utf-8")  # not the working directory's rag.toml, if any
    monkeypatch.setenv("RAG_CONFIG", str(tmp_path / "empty.toml"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def built_index(session_settings):
    from rag.search.index import build_index

    build_index(session_settings, progress=False)
    return session_settings


@pytest.fixture(scope="session")
def retriever(built_index):
    from rag.search.retriever import Retriever

    r = Retriever(built_index)
    r.warm_up()
    return r


@pytest.fixture(scope="session")
def corpus():
    from rag.documents.corpus import load_documents
    from rag.documents.parse import parse_document

    docs = {d.doc_id: d for d in load_documents(DATA)}
    return docs, {d: parse_document(doc) for d, doc in docs.items()}


@pytest.fixture(scope="session")
def live_app(built_index, tmp_path_factory):
    """The real app (FastAPI + Gradio) on a free loopback port, in a background thread."""
    from rag.app.webapp import serve_in_background

    tmp = tmp_path_factory.mktemp("app")
    settings = dataclasses.replace(built_index, feedback_db=tmp / "feedback.sqlite3", log_file=tmp / "requests.log",
                                   answer_mode="extractive", session_questions_per_minute=0,
                                   address_questions_per_minute=0, feedback_per_minute=0)  # tests vote from one address
    url, service, server = serve_in_background(settings)
    yield url, service, server
    server.should_exit = True
