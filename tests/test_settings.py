from pathlib import Path

import pytest

from rag.settings import ANSWER_MODES, load_settings


def test_defaults_need_no_configuration(tmp_path):
    s = load_settings(env={}, config_file=tmp_path / "none.toml")
    assert s.embed_model == "intfloat/multilingual-e5-small" and s.answer_mode == "auto" and s.top_k == 10


def test_file_then_environment_override(tmp_path):
    cfg = tmp_path / "rag.toml"
    cfg.write_text('top_k = 7\nanswer_mode = "extractive"\nindex_dir = "/tmp/x"\n', encoding="utf-8")
    s = load_settings(env={"RAG_TOP_K": "3"}, config_file=cfg)
    assert s.top_k == 3 and s.answer_mode == "extractive" and s.index_dir == Path("/tmp/x")


@pytest.mark.parametrize("env, message", [
    ({"RAG_ANSWER_MODE": "magic"}, "Valid modes are: " + ", ".join(ANSWER_MODES)),
    ({"RAG_TOP_K": "0"}, "top_k must be at least 1"),
])
def test_invalid_values_are_refused_with_the_allowed_ones(tmp_path, env, message):
    with pytest.raises(ValueError, match=message):
        load_settings(env=env, config_file=tmp_path / "none.toml")


def test_unknown_key_in_file_is_refused(tmp_path):
    cfg = tmp_path / "rag.toml"
    cfg.write_text("topk = 3\n", encoding="utf-8")
    with pytest.raises(ValueError, match="Unknown settings"):
        load_settings(env={}, config_file=cfg)
