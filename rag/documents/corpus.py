"""Manifest-driven loading of the corpus, and removal of web debris from news pages.

Adding a document is: put its file in `data/`, add an entry to `data/manifest.json`
(`doc_id`, `file`, `kind`, `title`, optional `date`/`source`/`issuer`/`issued`/`effective`), rebuild.
A `title` of null (the text states none) is shown as `UNTITLED`, or "Văn bản <số>" when the doc_id
is an official number (`shown_title`).
Any `kind` string is accepted: "news" documents are parsed as paragraphs, every other kind
("regulation", "law", "decree", "circular", "decision", …) as Chương / Điều / khoản / điểm.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from rag.text import DOCUMENT_NUMBER, plain_name

NEWS_KINDS = ("news",)  # parsed as paragraphs; every other kind as articles
UNTITLED = "Văn bản chưa có tiêu đề"
_TYPE = re.compile(r"(Bộ luật|Luật|Nghị định|Thông tư liên tịch|Thông tư|Quyết định|Nghị quyết|Chỉ thị|Hiến pháp)")

# Lines that are page furniture, not article text (seen on provincial portals and news sites).
_DEBRIS = re.compile(
    r"No title\.\.\.|^Lượt xem:|no image|Thống kê truy cập|Đang truy cập|"
    r"- ảnh \d+\s*$|Ảnh: [^.]*$|^KHEN THƯỞNG",
    re.IGNORECASE,
)
_DATE_PREFIX = re.compile(r"^\s*date \d{4}-\d{2}-\d{2}\s+")
_SENTENCE_END = re.compile(r"[.!?…:;)”\"]\s*$")


@dataclass(frozen=True)
class Document:
    doc_id: str
    file: str
    kind: str
    title: str
    text: str
    date: str | None = None
    source: str | None = None


def load_manifest(data_dir: Path) -> list[dict]:
    path = data_dir / "manifest.json"
    if not path.is_file():
        raise FileNotFoundError(f"Thư mục văn bản “{data_dir.name}” chưa có danh mục manifest.json: thêm văn bản bằng "
                                f"python -m rag add TỆP, hoặc đặt RAG_DATA_DIR tới một kho văn bản.")
    entries = json.loads(path.read_text(encoding="utf-8"))["documents"]
    for e in entries:
        missing = {"doc_id", "file", "kind", "title"} - set(e)
        if missing:
            raise ValueError(f"manifest.json: mục {e.get('doc_id', '?')} thiếu {', '.join(sorted(missing))}.")
        if Path(e["file"]).name != e["file"]:
            raise ValueError(f"manifest.json: mục {e['doc_id']} trỏ tới tệp ngoài thư mục văn bản ({e['file']!r}).")
    return entries


@dataclass(frozen=True)
class DocumentInfo:
    """What answers and the UI say about a document: its name in a citation, title, dates."""

    doc_id: str
    kind: str
    title: str
    date: str | None = None  # news: publication date
    issued: str | None = None
    effective: str | None = None

    @property
    def is_news(self) -> bool:
        return self.kind in NEWS_KINDS

    @property
    def name(self) -> str:
        """"Thông tư 10/2025/TT-BKHCN", "Luật Đất đai 31/2024/QH15": how a citation names the document."""
        if self.is_news:
            return self.title
        if self.doc_id in self.title:
            return self.title[: self.title.index(self.doc_id) + len(self.doc_id)]
        return f"{self.title} {self.doc_id}" if "/" in self.doc_id else self.title

    @property
    def short_name(self) -> str:
        """The name, or "<type> <number>" ("Quyết định 12/2026/QĐ-UBND") when the name is long:
        for example questions, where a 100-character title reads badly."""
        kind = _TYPE.match(self.title)
        if len(self.name) <= 60 or not kind or "/" not in self.doc_id or self.is_news:
            return self.name
        return f"{kind.group(1)} {self.doc_id}"

    @property
    def names(self) -> tuple[str, ...]:
        """How a question may name the document: its number, its title (with and without "và" and
        commas), and "<type> <first number>" ("Thông tư 10", "Nghị định 150"). A news article only
        by an official number ("120/HD-SGDĐT", a guidance with no article added as paragraphs): its
        title is a headline, not a name anyone asks by."""
        if self.is_news:
            return (self.doc_id,) if re.fullmatch(DOCUMENT_NUMBER, self.doc_id) else ()
        title = self.title if self.doc_id not in self.title else self.name
        out = [self.doc_id, title, plain_name(title)]
        m = re.match(r"(\d+)/(\d{4})", self.doc_id)
        kind = _TYPE.match(self.title)
        if m and kind:
            out += [f"{kind.group(1)} {m.group(1)}", f"{kind.group(1)} {m.group(1)}/{m.group(2)}"]
        return tuple(dict.fromkeys(n for n in out if len(n) >= 4))


def shown_title(doc_id: str, title: str | None) -> str:
    """The manifest's title; for a document whose text states none (null), "Văn bản <số>" when its
    doc_id is an official number, else `UNTITLED`. Never the doc_id otherwise: without a number it
    is the uploaded file's name, which the public chat would then show as the document's name."""
    if title:
        return title
    return f"Văn bản {doc_id}" if "/" in doc_id else UNTITLED


def document_infos(data_dir: Path) -> dict[str, DocumentInfo]:
    """doc_id → `DocumentInfo`, in manifest order."""
    return {e["doc_id"]: DocumentInfo(e["doc_id"], e["kind"], shown_title(e["doc_id"], e["title"]), e.get("date"),
                                      e.get("issued"), e.get("effective")) for e in load_manifest(data_dir)}


def load_documents(data_dir: Path) -> list[Document]:
    """Read every document the manifest lists, verbatim (offsets into these texts are kept).

    A manifest that lists none is an error: an index cannot be built from nothing (numpy warned,
    then the build failed with "max() arg is an empty sequence"), so say what to do instead."""
    entries = load_manifest(data_dir)
    if not entries:
        raise ValueError("Kho văn bản không có văn bản nào (manifest.json không liệt kê văn bản nào), nên không "
                         "xây dựng được chỉ mục. Hãy thêm văn bản: python -m rag add <tệp>")
    docs = []
    for e in entries:
        if not (data_dir / e["file"]).is_file():
            raise ValueError(f"manifest.json: mục {e['doc_id']} trỏ tới tệp {e['file']}, tệp này không có trong thư mục văn bản.")
        text = (data_dir / e["file"]).read_text(encoding="utf-8")
        docs.append(Document(e["doc_id"], e["file"], e["kind"], shown_title(e["doc_id"], e["title"]), text,
                             e.get("date"), e.get("source")))
    return docs


def corpus_stamp(data_dir: Path) -> tuple:
    """Size and modification time of what `corpus_hash` reads: a cheap "may have changed" for
    callers that check often (`/health` every 10 s). Why not the hash each time: it reads every
    document (10 MB for the 28 laws, 100 MB at ten times that)."""
    files = [data_dir / "manifest.json", data_dir / "glossary.json",
             *(data_dir / e["file"] for e in load_manifest(data_dir))]
    return tuple((f.name, st.st_size, st.st_mtime_ns) for f in files if (st := _stat(f)))


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:
        return None


def corpus_hash(data_dir: Path) -> str:
    """Hash of the manifest, every file it names and the glossary: the index is stale when this changes."""
    entries = load_manifest(data_dir)  # a missing or broken manifest: its own message, not the OS's
    h = hashlib.sha256((data_dir / "manifest.json").read_bytes())
    for e in entries:
        h.update((data_dir / e["file"]).read_bytes())
    if (data_dir / "glossary.json").is_file():
        h.update((data_dir / "glossary.json").read_bytes())
    return h.hexdigest()


def is_debris(paragraph: str, title: str) -> bool:
    """Page furniture, photo captions, bylines, or the title repeated as the first line."""
    p = paragraph.strip()
    n_words = len(p.split())
    if not p or _DEBRIS.search(p) or p.rstrip(" .") == title.rstrip(" ."):
        return True
    if n_words < 15:
        return True  # captions ("Các đại biểu dự Hội nghị"), bylines ("NGUYỄN OANH")
    return n_words < 40 and not _SENTENCE_END.search(p)


# A document's line that is no paragraph of its own: a heading in capitals ("III. TỔ CHỨC THỰC
# HIỆN", "ỦY BAN NHÂN DÂN"), the national motto, or a few words ("Số: 88/KH-UBND", "1. Mục đích").
MOTTO = re.compile(r"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM|Độc lập - Tự do - Hạnh phúc", re.IGNORECASE)
END_MATTER = re.compile(r"\s*Nơi nhận\s*:")  # the recipients and the signature follow the document's content
MIN_DOCUMENT_LINE_WORDS = 4


def is_document_debris(paragraph: str, title: str) -> bool:
    """Why not `is_debris`: a plan or a notice (a document with no article, read as paragraphs) says
    "1. Thời gian: từ ngày 09 đến ngày 10 tháng 10 năm 2026." in twelve words; the news rule (under
    15 words is a caption) had dropped it, and with it the answer to "tổ chức khi nào?"."""
    p = paragraph.strip()
    letters = [c for c in p if c.isalpha()]
    return (not p or bool(_DEBRIS.search(p) or MOTTO.match(p)) or p.rstrip(" .") == title.rstrip(" .")
            or len(p.split()) < MIN_DOCUMENT_LINE_WORDS or all(c.isupper() for c in letters))


def news_paragraphs(doc: Document) -> list[tuple[int, int]]:
    """Character spans of the real paragraphs in `doc.text` (a news article, or a document with no
    article), debris removed."""
    debris = is_debris if doc.kind in NEWS_KINDS else is_document_debris
    spans = []
    for m in re.finditer(r"[^\n]+", doc.text):
        if debris is is_document_debris and END_MATTER.match(m.group(0)):
            break  # the recipients and the signature: no content of the document
        start, end = m.start(), m.end()
        prefix = _DATE_PREFIX.match(m.group(0))
        if prefix:
            start += prefix.end()
        chunk = doc.text[start:end]
        start += len(chunk) - len(chunk.lstrip())
        end -= len(chunk) - len(chunk.rstrip())
        if not debris(doc.text[start:end], doc.title):
            spans.append((start, end))
    return spans
