from pathlib import Path

import pytest

from rag.settings import ANSWER_MODES, load_settings


def test_defaults_need_no_configuration(tmp_path):
    s = load_settings(env={}, config_file=tmp_path / "none.toml")
    assert s.embed_model == "intfloat/multilingual-e5-small" and s.answer_mode == "extractive" and s.top_k == 10


def test_file_then_environment_override(tmp_path):
    cfg = tmp_path / "rag.toml"
    cfg.write_text('top_k = 7\nanswer_mode = "extractive"\nindex_dir = "/tmp/x"\n', encoding="utf-8")
    s = load_settings(env={"RAG_TOP_K": "3"}, config_file=cfg)
    assert s.top_k == 3 and s.answer_mode == "extractive" and s.index_dir == Path("/tmp/x")


@pytest.mark.parametrize("env, message", [
    ({"RAG_ANSWER_MODE": "magic"}, "Valid modes are: " + ", ".join(ANSWER_MODES)),
    ({"RAG_TOP_K": "0"}, "top_k must be at least 1"),
    ({"RAG_INDEX_RELOAD_SECONDS": "-5", "RAG_SESSION_QUESTIONS_PER_MINUTE": "-1"},
     "session_questions_per_minute, index_reload_seconds must not be negative"),
    ({"RAG_MAX_UPLOAD_MB": "-3"}, "max_upload_mb must be at least 1"),
])
def test_invalid_values_are_refused_with_the_allowed_ones(tmp_path, env, message):
    with pytest.raises(ValueError, match=message):
        load_settings(env=env, config_file=tmp_path / "none.toml")


def test_unknown_key_in_file_is_refused(tmp_path):
    cfg = tmp_path / "rag.toml"
    cfg.write_text("topk = 3\n", encoding="utf-8")
    with pytest.raises(ValueError, match="Unknown settings"):
        load_settings(env={}, config_file=cfg)


def test_the_feedback_db_and_request_log_follow_the_cache_dir_unless_set(tmp_path):
    s = load_settings(env={"RAG_CACHE_DIR": str(tmp_path / "cache")}, config_file=tmp_path / "none.toml")
    assert s.feedback_db == tmp_path / "cache" / "feedback.sqlite3" and s.log_file == tmp_path / "cache" / "requests.log"
    cfg = tmp_path / "rag.toml"
    cfg.write_text(f'cache_dir = "{tmp_path / "cache"}"\nlog_file = "{tmp_path / "logs" / "r.log"}"\n', encoding="utf-8")
    s = load_settings(env={"RAG_FEEDBACK_DB": str(tmp_path / "fb.sqlite3")}, config_file=cfg)
    assert s.feedback_db == tmp_path / "fb.sqlite3" and s.log_file == tmp_path / "logs" / "r.log"
    assert s.model_dir == tmp_path / "cache" / "models"


@pytest.mark.parametrize("env, toml, message", [
    ({"RAG_TOP_K": "abc"}, "", "RAG_TOP_K='abc' is not valid: expected an integer"),
    ({"RAG_ABSTAIN_THRESHOLD": "half"}, "", "RAG_ABSTAIN_THRESHOLD='half' is not valid: expected a number"),
    ({"RAG_WEIGHTS_ACCENTED": "0.5,x"}, "", "RAG_WEIGHTS_ACCENTED='0.5,x' is not valid: expected comma-separated numbers"),
    ({}, 'top_k = "many"', "top_k in .*rag.toml='many' is not valid: expected an integer"),
    ({}, "top_k = [1, 2]", r"top_k in .*rag.toml='\[1, 2\]' is not valid: expected an integer"),
])
def test_a_value_of_the_wrong_type_names_its_setting_and_the_type(tmp_path, env, toml, message):
    cfg = tmp_path / "rag.toml"
    cfg.write_text(toml + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_settings(env=env, config_file=cfg)


def test_the_cli_names_the_bad_setting(monkeypatch, capsys):
    from rag.app.cli import main

    monkeypatch.setenv("RAG_TOP_K", "abc")
    assert main(["ask", "Ai quản lý tem bưu chính?"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Lỗi: RAG_TOP_K='abc' is not valid: expected an integer") and "Traceback" not in err


def test_an_unknown_rag_variable_is_warned_about_and_known_ones_are_not(tmp_path, caplog):
    (tmp_path / "empty.toml").write_text("", encoding="utf-8")
    env = {"RAG_TOPK": "3", "RAG_PORT": "8000", "RAG_CONFIG": str(tmp_path / "empty.toml"), "RAG_TOP_K": "4",
           "RAG_ADMIN_TOKEN": "t", "RAG_DATA_DIR": str(tmp_path), "OTHER_TOPK": "1"}
    with caplog.at_level("WARNING", logger="rag.settings"):
        s = load_settings(env=env)
    assert s.top_k == 4
    assert [r.getMessage() for r in caplog.records] == [
        "RAG_PORT is not a setting and is ignored",
        "RAG_TOPK is not a setting and is ignored (did you mean RAG_TOP_K?)",
    ]


def test_a_settings_file_named_but_missing_or_malformed_is_an_error(tmp_path):
    """RAG_CONFIG with a typo had run on the defaults without a word (another corpus, another index);
    a TOML syntax error did not say which file."""
    with pytest.raises(ValueError, match="RAG_CONFIG: no settings file at .*goood.toml"):
        load_settings(env={"RAG_CONFIG": str(tmp_path / "goood.toml")})
    bad = tmp_path / "rag.toml"
    bad.write_text("top_k = = 3\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"rag\.toml: .*line 1"):
        load_settings(env={"RAG_CONFIG": str(bad)})
