"""The tests' view of the shipped corpus leaves out what an admin added to data/ (tests/shipped.py)."""
import json
import shutil
import subprocess

import pytest

from shipped import shipped_copy

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def git(root, *args):
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def test_documents_added_after_the_commit_are_left_out_and_edits_are_kept(tmp_path):
    root, data = tmp_path / "repo", tmp_path / "repo" / "data"
    data.mkdir(parents=True)
    shipped = {"doc_id": "a", "file": "a.txt", "kind": "law", "title": "A"}
    (data / "manifest.json").write_text(json.dumps({"about": "x", "documents": [shipped]}), encoding="utf-8")
    (data / "a.txt").write_text("Điều 1. A", encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", "data")
    # what an admin does afterwards: a new document and its manifest entry, never committed
    (data / "b.txt").write_text("Điều 1. B", encoding="utf-8")
    (data / ".corpus.lock").write_text("", encoding="utf-8")
    added = {"doc_id": "b", "file": "b.txt", "kind": "decision", "title": "B"}
    (data / "manifest.json").write_text(json.dumps({"about": "x", "documents": [shipped, added]}), encoding="utf-8")
    (data / "a.txt").write_text("Điều 1. A sửa", encoding="utf-8")  # a developer's edit, not yet committed

    copy = shipped_copy(tmp_path / "copy", root)
    assert sorted(p.name for p in copy.iterdir()) == ["a.txt", "manifest.json"]
    assert json.loads((copy / "manifest.json").read_text(encoding="utf-8")) == {"about": "x", "documents": [shipped]}
    assert (copy / "a.txt").read_text(encoding="utf-8") == "Điều 1. A sửa"


def test_outside_a_git_checkout_the_folder_is_copied_without_its_lock(tmp_path):
    root, data = tmp_path / "unpacked", tmp_path / "unpacked" / "data"
    data.mkdir(parents=True)
    (data / "manifest.json").write_text('{"documents": []}', encoding="utf-8")
    (data / ".corpus.lock").write_text("", encoding="utf-8")
    copy = shipped_copy(tmp_path / "copy", root)
    assert sorted(p.name for p in copy.iterdir()) == ["manifest.json"]
