"""Add, remove and list the documents of the corpus folder (`Settings.data_dir`).

`add_document` reads a .txt/.docx/.pdf/.html file (`readers.read_document`), reads what the
text says about itself (`metadata.extract_metadata`), writes the NFC text as `<slug>.txt` next
to `manifest.json` and adds (or replaces) the document's manifest entry. Nothing is guessed:
the doc_id is the one given, else the number the text states, else the file name; the title is
the one given, else the one the text states, else null with a warning (never the file name: an
uploader chooses it, and the public chat shows the title; `corpus.shown_title` names it instead).

A document whose parse has no article ("Điều 1. …") is refused unless its kind is "news" or
"other": a text that is not a regulation is then indexed as paragraphs, keeps its kind (a
guidance is shown as a document, not as news) and the result says so in `warnings`.

Both writes are atomic (`rag.atomic`); the text file is written before the manifest, so a crash
leaves at worst an unlisted file, never a manifest naming a missing one. Every edit holds
`corpus_lock`, a file lock beside the manifest, so concurrent writers (the admin page,
`python -m rag add`, replicas sharing the folder) never drop each other's documents. The index is not
touched: the caller rebuilds it (`python -m rag add` does, unless `--no-build`). The last document
cannot be removed (`LastDocument`): an empty corpus has no index to rebuild.

Usage:
    >>> from pathlib import Path
    >>> r = add_document(Path("uploads/luat-99-2024.docx"), Path("data"))
    >>> r["doc_id"], r["kind"], r["articles"]
    ('99/2024/QH15', 'law', 12)
    >>> remove_document("99/2024/QH15", Path("data"))["file"]
    '99-2024-qh15.txt'
"""
from __future__ import annotations

import collections
import dataclasses
import json
import logging
import re
import time
import unicodedata
from pathlib import Path

from rag.atomic import atomic_write_bytes, atomic_write_text, file_lock
from rag.documents.corpus import (MIN_DOCUMENT_LINE_WORDS, NEWS_KINDS, Document, load_documents, load_manifest,
                                  shown_title)
from rag.documents.metadata import extract_metadata, stated_number
from rag.documents.parse import parse_document
from rag.documents.readers import read_document
from rag.text import fold, thousands

PARAGRAPH_KINDS = ("news", "other")  # may be added without any "Điều": indexed as paragraphs
_KIND_OF_TYPE = {"Luật": "law", "Bộ luật": "law", "Hiến pháp": "law", "Nghị định": "decree",
                 "Thông tư": "circular", "Quyết định": "decision"}
_RESERVED_FILES = ("manifest.json", "glossary.json")
LOCK_FILE = ".corpus.lock"
log = logging.getLogger(__name__)
# The longest law (Luật Đất đai 2024) is 0.7 M characters; a text three times longer is no single
# legal document, and one such file (a 15 MB page of one paragraph) had kept the rebuild busy for
# half an hour.
MAX_TEXT_CHARS = 2_000_000
REMOVED_DIR = ".removed"  # removed and replaced texts, kept: recover one by adding it again
HEAD_CHARS = 3000  # a text's opening, where its "Số:" line is
MAX_DOC_ID_CHARS = 100  # a doc_id names a file: 300 characters failed with the system's English message
# The longest paragraph of the 28 laws and the shipped corpus has 1,230 characters, the longest word
# 109 (a line of underscores). A 1.8 M-character line, a conversion that lost its line breaks, was
# embedded as a thousand 512-token pieces and held an index build for many minutes.
MAX_LINE_CHARS = 20_000
MAX_WORD_CHARS = 1_000
MAX_TITLE_CHARS = 500
_KIND = re.compile(r"[a-z][a-z0-9_-]{0,29}")  # "law", "decision", "other", "regulation", "ke-hoach"


class LastDocument(ValueError):
    """Removing this document would leave the corpus empty: no index can be built from nothing, so
    the rebuild would fail and the chat would go on answering from the removed document."""


def corpus_lock(corpus_dir: Path):
    """The lock every edit of the corpus folder holds (a context manager; not re-entrant)."""
    return file_lock(Path(corpus_dir) / LOCK_FILE)


def kind_of_type(doc_type: str | None) -> str:
    """"Luật" → "law", "Nghị định" → "decree", "Thông tư" → "circular", "Quyết định" → "decision", else "other"."""
    return _KIND_OF_TYPE.get(doc_type or "", "other")


def slugify(text: str) -> str:
    """"Luật Đất đai 31/2024/QH15" → "luat-dat-dai-31-2024-qh15" (ASCII, lower case, dashes)."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def add_document(path: Path, corpus_dir: Path, doc_id: str | None = None, title: str | None = None,
                 kind: str | None = None, max_mb: int = 0, replace: bool = False) -> dict:
    """Add the file at `path` to the corpus in `corpus_dir`; a document with the same doc_id is
    replaced only with `replace` (else ValueError). Why: any file stating "Số: 10/2025/TT-BKHCN"
    had silently replaced Thông tư 10, its answers and its dates (an outside tester's finding).

    Returns {"doc_id", "file", "kind", "title", "units", "articles", "paragraphs", "warnings", "meta"}.
    Raises `UnreadableDocument` (a ValueError) when the file gives no text, ValueError when it
    cannot be added (over `max_mb` megabytes when that is set, no article for a regulation kind,
    nothing to index, bad flag).
    """
    with corpus_lock(corpus_dir):
        return _add(Path(path), Path(corpus_dir), doc_id, title, kind, max_mb, replace)


def _add(path: Path, corpus_dir: Path, doc_id: str | None, title: str | None, kind: str | None, max_mb: int,
         replace: bool) -> dict:
    if path.is_dir():
        raise ValueError(f"{path} là một thư mục: hãy cho các tệp trong đó, ví dụ python -m rag add {path}/*.docx")
    if not path.is_file():
        raise ValueError(f"Không tìm thấy tệp {path}.")
    if max_mb and path.stat().st_size > max_mb * 1024 * 1024:  # the admin page's limit, for the CLI too
        raise ValueError(f"Tệp {path.name} quá lớn: tối đa {max_mb} MB (cài đặt RAG_MAX_UPLOAD_MB).")
    doc_id, title, kind = (_flag(doc_id, "--doc-id"), _flag(title, "--title"), _flag(kind, "--kind"))
    text = unicodedata.normalize("NFC", read_document(path))
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"Tệp {path.name}: văn bản quá dài ({thousands(len(text))} ký tự; tối đa "
                         f"{thousands(MAX_TEXT_CHARS)}). Hãy tách thành nhiều văn bản.")
    _check_shape(text, path.name)
    meta = extract_metadata(text)
    warnings: list[str] = []

    if doc_id is None:
        doc_id = meta.number or slugify(path.stem)
        if not doc_id:
            raise ValueError(f"Tệp {path.name}: không xác định được mã văn bản; hãy đặt mã văn bản "
                             "(--doc-id, hoặc ô Mã văn bản trên trang quản trị).")
        if not meta.number:
            warnings.append(f"Văn bản không ghi số hiệu; mã văn bản lấy theo tên tệp: {doc_id}.")
    _check_doc_id(doc_id)
    title = title or meta.title
    shown = shown_title(doc_id, title)  # how the chat names it, and what parsing sees as its name
    if title is None:
        warnings.append(f"Văn bản không ghi tiêu đề: được hiển thị là “{shown}”; "
                        "hãy đặt tiêu đề (--title, hoặc ô Tiêu đề trên trang quản trị).")
    kind = (kind or kind_of_type(meta.doc_type)).lower()
    _check_title_and_kind(title, kind)

    manifest = _read_manifest(corpus_dir)
    entries: list[dict] = manifest["documents"]
    old = next((e for e in entries if e.get("doc_id") == doc_id), None)
    if old is not None and not replace:
        raise ValueError(f"Văn bản {doc_id} đã có trong kho ({shown_title(doc_id, old.get('title'))}); không thêm. "
                         "Muốn thay bản cũ: dùng --replace (trang quản trị: ô “Thay thế văn bản cùng mã”); "
                         "muốn giữ cả hai: đặt mã văn bản khác (--doc-id).")
    file = _file_name(doc_id, corpus_dir, entries, old)

    units = parse_document(Document(doc_id, file, kind, shown, text))
    articles = sum(u.kind == "article" for u in units)
    if articles == 0 and kind not in NEWS_KINDS:
        if kind not in PARAGRAPH_KINDS:
            raise ValueError(
                f"Tệp {path.name}: không tìm thấy điều nào (dòng bắt đầu bằng “Điều 1.”), nên không thể thêm "
                f"như văn bản loại “{kind}”. Nếu đây không phải văn bản quy phạm, hãy thêm với loại “other” "
                f"(lập chỉ mục theo đoạn văn) hoặc “news”.")
        warnings.append("Không tìm thấy điều nào (“Điều 1. …”): văn bản được lập chỉ mục theo đoạn văn.")
    if not units:  # the rule said is the one the parser applied (`corpus.news_paragraphs`)
        rule = ("mỗi đoạn cần ít nhất 15 từ; đoạn ngắn hơn được coi là chú thích ảnh, tên tác giả" if kind in NEWS_KINDS
                else f"mỗi dòng cần ít nhất {MIN_DOCUMENT_LINE_WORDS} từ và không phải tiêu đề viết hoa")
        raise ValueError(f"Tệp {path.name}: không có đoạn văn nào đủ dài để tìm kiếm ({rule}); văn bản không được thêm.")
    for annex, n in collections.Counter(u.annex for u in units if u.kind == "article" and u.annex).items():
        warnings.append(f"Văn bản có phần ban hành kèm theo, đánh số điều lại từ đầu ({annex}: {n} điều); "
                        f"các điều của phần này được trích dẫn là “Điều N của {annex}”.")
    if old is not None:
        warnings.append(f"Văn bản {doc_id} đã có trong kho: bản cũ được thay thế.")
    warnings += _duplicates(corpus_dir, [e for e in entries if e is not old], text, meta.number)

    entry = {"doc_id": doc_id, "file": file, "kind": kind, "title": title, "issuer": meta.issuer,
             "issued": meta.issued, "effective": meta.effective, "replaces": list(meta.replaces) or None,
             "source": path.name}
    # the text it replaces stays recoverable
    kept = _keep(corpus_dir, file) if old is not None and old.get("file") == file else None
    atomic_write_text(corpus_dir / file, text + "\n")
    manifest["documents"] = [entry if e is old else e for e in entries] if old is not None else [*entries, entry]
    try:
        _write_manifest(corpus_dir, manifest)
    except OSError:  # the manifest is as it was: so is the folder (no text it does not list, no other text under it)
        if kept:
            atomic_write_bytes(corpus_dir / file, kept.read_bytes())
        else:
            (corpus_dir / file).unlink(missing_ok=True)
        raise
    if old is not None and old.get("file") != file:
        _remove_unlisted(corpus_dir, old.get("file"), manifest["documents"])
    return {"doc_id": doc_id, "file": file, "kind": kind, "title": title, "units": len(units),
            "articles": articles, "paragraphs": sum(u.kind == "paragraph" for u in units), "warnings": warnings,
            "meta": {**dataclasses.asdict(meta), "replaces": list(meta.replaces)}}


def remove_document(doc_id: str, corpus_dir: Path) -> dict:
    """Remove the manifest entry of `doc_id` and the text file it names; returns the removed entry
    plus "warnings". Raises KeyError (with a Vietnamese message) when no document has that doc_id,
    `LastDocument` (a ValueError) when it is the corpus's only document; nothing is changed then."""
    corpus_dir = Path(corpus_dir)
    with corpus_lock(corpus_dir):
        return _remove(doc_id, corpus_dir)


def _remove(doc_id: str, corpus_dir: Path) -> dict:
    manifest = _read_manifest(corpus_dir)
    entry = next((e for e in manifest["documents"] if e.get("doc_id") == doc_id), None)
    if entry is None:
        raise KeyError(f"Không có văn bản nào có mã “{doc_id}” trong kho.")
    if all(e is entry for e in manifest["documents"]):
        raise LastDocument("Không thể xóa văn bản cuối cùng: kho văn bản phải còn ít nhất một văn bản. "
                           "Hãy thêm văn bản mới trước.")
    manifest["documents"] = [e for e in manifest["documents"] if e is not entry]
    _write_manifest(corpus_dir, manifest)
    _remove_unlisted(corpus_dir, entry.get("file"), manifest["documents"])
    warnings = []
    glossary = corpus_dir / "glossary.json"
    if glossary.is_file() and json.loads(glossary.read_text(encoding="utf-8")).get("doc_id") == doc_id:
        warnings.append(f"glossary.json vẫn mô tả văn bản {doc_id}; hãy sửa hoặc xóa tệp đó nếu cần.")
    return {**entry, "warnings": warnings}


def list_documents(corpus_dir: Path) -> list[dict]:
    """One dict per manifest document, in manifest order: doc_id, kind, title, units (from parsing),
    articles, effective (ISO date or None)."""
    corpus_dir = Path(corpus_dir)
    entries = {e["doc_id"]: e for e in load_manifest(corpus_dir)}
    if not entries:  # load_documents refuses an empty corpus (nothing to index); listing it is fine
        return []
    out = []
    for doc in load_documents(corpus_dir):
        units = parse_document(doc)
        out.append({"doc_id": doc.doc_id, "kind": doc.kind, "title": doc.title, "units": len(units),
                    "articles": sum(u.kind == "article" for u in units),
                    "effective": entries[doc.doc_id].get("effective")})
    return out


# --- helpers --------------------------------------------------------------------------------

def _duplicates(corpus_dir: Path, others: list[dict], text: str, number: str | None) -> list[str]:
    """Warnings for another document with the same text or the same stated number: both would be
    cited side by side, indistinguishable ("Phần mở đầu — Quyết định …" three times)."""
    out = []
    for e in others:
        try:
            other = (corpus_dir / e["file"]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if other.strip() == text.strip():
            out.append(f"Văn bản {e['doc_id']} trong kho có cùng nội dung: câu trả lời sẽ trích dẫn cả hai.")
        elif number and (e["doc_id"] == number or stated_number(other[:HEAD_CHARS]) == number):
            out.append(f"Văn bản {e['doc_id']} trong kho có cùng số hiệu {number}.")
    return out


def _check_doc_id(doc_id: str) -> None:
    """Refuse a doc_id that cannot travel in a URL path: "." and ".." segments are resolved away by
    browsers, so "../../tmp/evil" was added but could not be deleted from the admin page."""
    if len(doc_id) > MAX_DOC_ID_CHARS:
        raise ValueError(f"Mã văn bản quá dài ({len(doc_id)} ký tự; tối đa {MAX_DOC_ID_CHARS}).")
    if any(part in ("", ".", "..") for part in doc_id.split("/")) or "\\" in doc_id or not doc_id.isprintable():
        raise ValueError(f"Mã văn bản “{doc_id[:60]}” không hợp lệ: không được có đoạn rỗng, “.” hay “..” giữa "
                         "các dấu “/”, dấu “\\” hay ký tự điều khiển (ví dụ hợp lệ: 12/2026/QĐ-UBND).")


def _check_shape(text: str, name: str) -> None:
    """Refuse a text whose paragraph or "word" no document has (see MAX_LINE_CHARS)."""
    longest = max(text.split("\n"), key=len)
    if len(longest) > MAX_LINE_CHARS:
        raise ValueError(f"Tệp {name}: có đoạn văn dài {thousands(len(longest))} ký tự (tối đa "
                         f"{thousands(MAX_LINE_CHARS)}); văn bản có thể đã mất dấu xuống dòng khi chuyển đổi, "
                         "hãy kiểm tra lại tệp.")
    if len(word := max(text.split(), key=len, default="")) > MAX_WORD_CHARS:
        raise ValueError(f"Tệp {name}: có chuỗi {thousands(len(word))} ký tự liền nhau không có khoảng trắng; "
                         "đây không phải văn bản đọc được.")


def _check_title_and_kind(title: str | None, kind: str) -> None:
    """A title the chat can show, and a kind that names a kind of document (`_KIND`)."""
    if title is not None and len(title) > MAX_TITLE_CHARS:
        raise ValueError(f"Tiêu đề quá dài ({thousands(len(title))} ký tự; tối đa {MAX_TITLE_CHARS}).")
    if not _KIND.fullmatch(kind):
        raise ValueError(f"Loại văn bản “{kind[:40]}” không hợp lệ: dùng chữ thường không dấu, chữ số, “-” hoặc "
                         "“_”, tối đa 30 ký tự (ví dụ: law, decree, circular, decision, news, other).")


def _flag(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        raise ValueError(f"{name} không được để trống.")
    return value


def _read_manifest(corpus_dir: Path) -> dict:
    """The raw manifest ({"documents": [...], other keys kept}); a new one when the folder has none."""
    path = corpus_dir / "manifest.json"
    if not path.is_file():
        return {"documents": []}
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(manifest, dict) or not isinstance(manifest.get("documents"), list):
        raise ValueError(f"{path.name} không đúng định dạng: cần một đối tượng có danh sách \"documents\".")
    return manifest


def _write_manifest(corpus_dir: Path, manifest: dict) -> None:
    """Atomically, in the indentation the file already uses (so a diff shows only what changed)."""
    path = corpus_dir / "manifest.json"
    indent = 1
    if path.is_file():
        lines = path.read_text(encoding="utf-8").split("\n")
        if len(lines) > 1 and lines[1].startswith(" "):
            indent = len(lines[1]) - len(lines[1].lstrip(" "))
    atomic_write_text(path, json.dumps(manifest, ensure_ascii=False, indent=indent) + "\n")


def _file_name(doc_id: str, corpus_dir: Path, entries: list[dict], old: dict | None) -> str:
    """`<slug>.txt`; `<slug>-2.txt`, … when another document (or a file not in the manifest) has it."""
    stem = slugify(doc_id) or "van-ban"
    taken = {e.get("file") for e in entries if e is not old}
    own = old.get("file") if old else None
    n = 1
    while True:
        name = f"{stem}.txt" if n == 1 else f"{stem}-{n}.txt"
        if name not in taken and name not in _RESERVED_FILES and (name == own or not (corpus_dir / name).exists()):
            return name
        n += 1


def _remove_unlisted(corpus_dir: Path, file: str | None, entries: list[dict]) -> None:
    """Move `file` to REMOVED_DIR unless another manifest entry still names it. When it cannot be
    kept (no room, no permission) it stays where it is: a file no entry names is harmless."""
    if file and Path(file).name == file and all(e.get("file") != file for e in entries):
        try:
            kept = _keep(corpus_dir, file)
        except OSError as e:
            log.warning("%s left in the corpus folder: it could not be kept aside (%s)", file, e.strerror)
            return
        if kept:
            (corpus_dir / file).unlink(missing_ok=True)


def _keep(corpus_dir: Path, file: str | None) -> Path | None:
    """A copy of `file` in REMOVED_DIR, named with the time: removing or replacing a document (one
    call, no undo) must not lose its text."""
    source = corpus_dir / file if file and Path(file).name == file else None
    if source is None or not source.is_file():
        return None
    target = corpus_dir / REMOVED_DIR / f"{time.strftime('%Y%m%d-%H%M%S')}-{file}"
    target.parent.mkdir(exist_ok=True)
    atomic_write_bytes(target, source.read_bytes())
    return target
