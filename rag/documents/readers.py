"""Read an uploaded legal document (.txt, .docx, .pdf, .html) into plain, NFC-normalised text.

The result has one line per paragraph: blank lines are dropped, runs of spaces collapsed and
each line stripped, so that the article parser sees the same layout as the shipped `.txt`
corpus ("Điều N. …", clauses "1. …", points "a) …" each on their own line).

Why these libraries:
- pypdfium2 (Apache-2.0/BSD): Google's PDFium, the engine inside Chromium, as a prebuilt wheel
  with no system dependencies. Its text layer keeps Vietnamese diacritics intact and is fast.
  PyMuPDF is AGPL, pdfminer is slow and pure-Python; neither is needed.
- python-docx (MIT): the standard reader of Word's XML; it walks paragraphs and tables in body
  order (`iter_inner_content`), which is all a legal text needs.
- beautifulsoup4 (MIT) with the stdlib `html.parser`: tolerant of real-world markup, no
  compiled parser required. Boilerplate-removal libraries (trafilatura, readability) pull in
  heavy dependencies and guess; a legal page is handled well by dropping script, style, nav,
  aside, form and the page's header/footer (an <article>'s own <header> holds its title and is
  kept), preferring <article>/<main>, and writing each block element on its own line.

A file that cannot give usable text raises `UnreadableDocument` (a `ValueError`) whose message
is in Vietnamese, names only the file (never its folder) and says what to do instead.
Missing files and permission errors are not wrapped: they are the caller's `OSError`.

Usage:
    from pathlib import Path
    from rag.documents.readers import UnreadableDocument, read_document

    try:
        text = read_document(Path("uploads/thong-tu-10-2025.pdf"))
    except UnreadableDocument as exc:
        print(exc)  # "Tệp thong-tu-10-2025.pdf: PDF không có lớp văn bản (bản scan); …"
"""
from __future__ import annotations

import codecs
import io
import re
import statistics
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

SUPPORTED_EXTENSIONS: tuple[str, ...] = (".txt", ".docx", ".pdf", ".html", ".htm")
MIN_LETTERS_PER_PAGE = 20
MAX_DOCX_UNZIPPED_MB = 200  # a full 20 MB upload of Word XML inflated ~10×; a zip bomb is far more (_unzipped_bytes)
MAX_DOCX_TEXT_MB = 25  # word/document.xml alone: 15× the largest law's (Luật Đất đai, 1.6 MB); 190 MB took 95 s and 2.1 GB

# Lines that start a new unit in a Vietnamese legal text: never glued to the line before. A clause
# number has at most three digits: "2026." is a year a PDF line wrap left alone on its line.
_POINT_LETTERS = "abcdđeghiklmnopqrstuvxy"
_STRUCTURE_RE = re.compile(
    rf"^(?:Điều\s+\d+[a-zđ]?\s*\.|Chương\b|Mục\b|Phần\s+thứ\b|\d{{1,3}}(?:\.\d{{1,3}})*\.(?:\s|$)"
    rf"|[{_POINT_LETTERS}]\)|[-+•–—]\s)",
    re.IGNORECASE,
)
_SENTENCE_END = tuple(".:;!?")
_PAGE_NUMBER_RE = re.compile(r"^(?:[-–—\s]*\d{1,4}[-–—\s]*|(?:Trang\s+)?\d{1,4}\s*/\s*\d{1,4}|Trang\s+\d{1,4})$", re.I)
# What a browser or viewer prints at a page's edge: "12/6/26, 4:24 AM <title>", "file:///…/x.html 1/1".
_PRINT_STAMP_RE = re.compile(r"^\d{1,2}/\d{1,2}/\d{2,4},?\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AP]M)?(?:\s|$)", re.I)
_URL_LINE_RE = re.compile(r"^(?:https?|file)://\S+(?:\s+\d{1,4}\s*/\s*\d{1,4})?$", re.I)
EDGE_LINES = 3  # page furniture is looked for among this many lines at the top and at the bottom
_SPACES_RE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE_RE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad\x00-\x08\x0e-\x1b\x1f\x7f]")


class UnreadableDocument(ValueError):
    """The file gives no usable text; the message is for the user (Vietnamese, file name only)."""


def read_document(path: Path) -> str:
    """Return the plain text of `path` (one paragraph per line, NFC), or raise UnreadableDocument."""
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        supported = ", ".join(SUPPORTED_EXTENSIONS)
        raise UnreadableDocument(
            f"Tệp {path.name}: định dạng không được hỗ trợ. Các định dạng được hỗ trợ: {supported}."
        )
    data = path.read_bytes()
    if not data:  # before the reader, which would call an empty .docx or .pdf "not a Word/PDF file"
        raise UnreadableDocument(f"Tệp {path.name}: tệp rỗng (0 byte).")
    text = normalize_text(reader(data, path.name))
    if not text:
        raise UnreadableDocument(f"Tệp {path.name}: tài liệu rỗng, không có nội dung văn bản.")
    return text


def normalize_text(text: str) -> str:
    """NFC, invisible characters removed, spaces collapsed, one non-blank line per paragraph."""
    text = _INVISIBLE_RE.sub("", unicodedata.normalize("NFC", text))
    lines = (_SPACES_RE.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _fail(name: str, reason: str) -> UnreadableDocument:
    return UnreadableDocument(f"Tệp {name}: {reason}")


def _mismatch(name: str, expected: str) -> UnreadableDocument:
    return _fail(name, f"nội dung không phải {expected} như phần mở rộng của tệp cho biết; "
                       "hãy kiểm tra lại tệp hoặc lưu lại đúng định dạng.")


# --- .txt -----------------------------------------------------------------------------------

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
_HTML_START = re.compile(r"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)


def _read_txt(data: bytes, name: str) -> str:
    """UTF-8, or a byte-order mark's encoding; else Windows-1258, the legacy Vietnamese code page
    of older office files, when the text then reads as Vietnamese (its most common words appear).
    Font encodings (TCVN3, VNI) are refused with the way to convert them."""
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), "utf-8")
    if encoding == "utf-8" and _looks_binary(data):
        raise _mismatch(name, "văn bản thuần (.txt)")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding == "utf-8" and _reads_vietnamese(
                legacy := unicodedata.normalize("NFC", data.decode("cp1258", errors="replace"))):
            return legacy
        raise _fail(name, "không giải mã được văn bản (không phải UTF-8 hay Windows-1258). Bảng mã "
                          "TCVN3 (ABC) hay VNI cần chuyển sang Unicode trước, ví dụ bằng công cụ chuyển "
                          "mã của Unikey; hãy lưu tệp với bảng mã UTF-8.") from exc
    if _HTML_START.match(text):  # its markup, scripts and menus would be indexed as the document's text
        raise _fail(name, "nội dung là một trang web (HTML); hãy đổi đuôi tệp thành .html để đọc đúng phần văn bản.")
    return text


# The commonest Vietnamese words with a diacritic: text decoded with the right code page has them.
_COMMON_WORDS = ("của", "được", "và", "các", "này", "không", "người", "theo", "điều", "về")


def _reads_vietnamese(text: str) -> bool:
    words = set(re.findall(r"\w+", text.lower()))
    return sum(w in words for w in _COMMON_WORDS) >= 2


def _looks_binary(data: bytes) -> bool:
    return b"\x00" in data[:8192] or data.startswith((b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0"))


# --- .docx ----------------------------------------------------------------------------------

def _read_docx(data: bytes, name: str) -> str:
    import docx  # python-docx; imported here so .txt/.pdf reading does not need it

    if not _is_docx_zip(data):
        raise _fail(name, "nội dung không phải tài liệu Word .docx như phần mở rộng của tệp cho biết; tệp .doc cũ "
                          "hãy mở bằng Word và lưu lại thành .docx.")
    total, text = _unzipped_bytes(data)
    if total > MAX_DOCX_UNZIPPED_MB * 1024 * 1024 or text > MAX_DOCX_TEXT_MB * 1024 * 1024:
        raise _fail(name, f"tệp .docx giải nén quá lớn (hơn {MAX_DOCX_UNZIPPED_MB} MB, hoặc phần văn bản hơn "
                          f"{MAX_DOCX_TEXT_MB} MB), không đọc được; hãy lưu lại tài liệu bằng Word hoặc chia "
                          "thành nhiều tệp nhỏ hơn.")
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several types for damaged packages
        raise _fail(name, "tệp .docx bị hỏng, không mở được.") from exc
    return "\n".join(_docx_blocks(document, _WordNumbering(document)))


def _is_docx_zip(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _unzipped_bytes(data: bytes) -> tuple[int, int]:
    """Uncompressed size of the package's entries and of its text part (word/document.xml), read
    from its directory (nothing inflated). The text part has its own, lower cap: it is what
    python-docx parses into objects (a 190 MB one took 95 s and 2.1 GB), while pictures are not.

    Why: a 2.6 MB .docx whose word/document.xml inflates to 2.5 GB passes the upload limit and
    python-docx would hold it all in memory. A cap on the total, not on the compression ratio:
    memory grows with the inflated size whatever the ratio, and a short, repetitive text may
    compress well. Real texts are far below `MAX_DOCX_UNZIPPED_MB`: Luật Đất đai (260 articles)
    written as a .docx by python-docx is 142 kB, 1.6 MB unzipped (its XML compresses ~8×). The
    declared sizes can be trusted: zipfile never returns more bytes than an entry declares (a lie
    ends in a CRC error, reported as a damaged file).
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(info.file_size for info in archive.infolist()), archive.getinfo("word/document.xml").file_size


def _docx_blocks(container, numbering: "_WordNumbering") -> Iterator[str]:
    """Paragraphs and tables in body order; nested tables inside cells too."""
    from docx.table import Table

    for block in container.iter_inner_content():
        if isinstance(block, Table):
            yield from _docx_table(block, numbering)
        else:
            label = numbering.label(block)
            yield f"{label} {block.text}" if label else block.text


def _docx_table(table, numbering: "_WordNumbering") -> Iterator[str]:
    """Row by row. A row of one-line cells becomes "a | b | c"; otherwise each cell's lines."""
    for row in table.rows:
        cells = _unique_cells(row.cells)
        texts = [normalize_text("\n".join(_docx_blocks(cell, numbering))) for cell in cells]
        texts = [t for t in texts if t]
        if all("\n" not in t for t in texts):
            yield " | ".join(texts)
        else:
            yield from texts


def _letters(n: int) -> str:
    """1 → "A", 26 → "Z", 27 → "AA": Word's letter numbering."""
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _roman(n: int) -> str:
    out = ""
    for value, numeral in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
                           (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + numeral, n - value
    return out


def _unique_cells(cells: Iterable) -> list:
    """python-docx repeats a merged cell once per grid column; keep each cell once."""
    seen: set[int] = set()
    unique = []
    for cell in cells:
        if id(cell._tc) not in seen:
            seen.add(id(cell._tc))
            unique.append(cell)
    return unique


class _WordNumbering:
    """The label Word draws before a paragraph of an automatic list ("1.", "a)", "-" for a bullet).

    Why: it is not in the paragraph's text. Clauses typed with Word's numbering ("List Number") had
    come out without their "1.", so the parser saw no clause and citations stopped at "Điều 1".
    Each list counts per level, a level restarting when a higher one moves on, as Word does."""

    _FORMATS: dict[str, Callable[[int], str]] = {
        "decimal": str, "decimalZero": lambda n: f"{n:02d}",
        "lowerLetter": lambda n: _letters(n).lower(), "upperLetter": _letters,
        "lowerRoman": lambda n: _roman(n).lower(), "upperRoman": _roman,
    }

    def __init__(self, document):
        from docx.oxml.ns import qn

        self._qn = qn
        self._levels: dict[str, dict[int, tuple[str, str, int]]] = {}  # numId -> ilvl -> (format, text, start)
        self._counts: dict[str, dict[int, int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError):  # no list in the document
            return
        abstract = {a.get(qn("w:abstractNumId")): a for a in root.findall(qn("w:abstractNum"))}
        for num in root.findall(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            levels = abstract.get(ref.get(qn("w:val"))) if ref is not None else None
            if levels is not None:
                self._levels[num.get(qn("w:numId"))] = {
                    int(lvl.get(qn("w:ilvl"))): (self._val(lvl, "w:numFmt", "decimal"), self._val(lvl, "w:lvlText", ""),
                                                 int(self._val(lvl, "w:start", "1")))
                    for lvl in levels.findall(qn("w:lvl"))}

    def _val(self, element, tag: str, default: str) -> str:
        child = element.find(self._qn(tag))
        return child.get(self._qn("w:val"), default) if child is not None else default

    def _num_pr(self, paragraph):
        """The paragraph's list and level: its own, else its style's (or a base style's)."""
        pr = paragraph._p.pPr.numPr if paragraph._p.pPr is not None else None
        style = paragraph.style
        while (pr is None or pr.numId is None) and style is not None:
            ppr = style.element.pPr
            pr = ppr.numPr if ppr is not None and ppr.numPr is not None else None
            style = style.base_style if pr is None or pr.numId is None else style
        return pr if pr is not None and pr.numId is not None else None

    def label(self, paragraph) -> str:
        pr = self._num_pr(paragraph)
        levels = self._levels.get(str(pr.numId.val)) if pr is not None else None
        if not levels:
            return ""
        ilvl = pr.ilvl.val if pr.ilvl is not None else 0
        fmt, text, start = levels.get(ilvl, ("decimal", f"%{ilvl + 1}.", 1))
        counts = self._counts.setdefault(str(pr.numId.val), {})
        counts[ilvl] = counts.get(ilvl, start - 1) + 1
        for deeper in [k for k in counts if k > ilvl]:
            del counts[deeper]
        if fmt == "bullet":
            return "-"

        def shown(m: re.Match) -> str:  # "%1" is level 0's count in level 0's format
            level = int(m.group(1)) - 1
            return self._FORMATS.get(levels.get(level, (fmt,))[0], str)(counts.get(level, 1))

        return re.sub(r"%(\d)", shown, text).strip()


# --- .pdf -----------------------------------------------------------------------------------

def _read_pdf(data: bytes, name: str) -> str:
    import pypdfium2 as pdfium

    if b"%PDF" not in data[:1024]:
        raise _mismatch(name, "PDF")
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise _fail(name, "PDF bị hỏng hoặc được đặt mật khẩu, không mở được.") from exc
    try:
        pages = _without_running_lines([_page_lines(page) for page in pdf])
    finally:
        pdf.close()
    letters = sum(ch.isalpha() for page in pages for ch in page)
    if not pages or letters < MIN_LETTERS_PER_PAGE * len(pages):
        raise _fail(name, "PDF không có lớp văn bản (bản scan); "
                          "hãy dùng bản có chữ hoặc chuyển sang .docx.")
    return join_pdf_lines(normalize_text("\n".join(pages)).split("\n"))


def _page_lines(page) -> list[str]:
    """The page's text layer as lines, without page numbers, print stamps and URLs at its edges."""
    textpage = page.get_textpage()
    try:
        # PDFium writes U+FFFE for a hyphen it takes for a line-break one ("NĐ-CP" read "NĐ\ufffeCP")
        lines = normalize_text(textpage.get_text_range().replace("\ufffe", "-")).split("\n")
    finally:
        textpage.close()
        page.close()
    for _ in range(EDGE_LINES):
        if lines and _is_furniture(lines[0]):
            lines.pop(0)
    for _ in range(EDGE_LINES):
        if lines and _is_furniture(lines[-1]):
            lines.pop()
    return lines


def _is_furniture(line: str) -> bool:
    return bool(_PAGE_NUMBER_RE.match(line) or _PRINT_STAMP_RE.match(line) or _URL_LINE_RE.match(line))


def _without_running_lines(pages: list[list[str]]) -> list[str]:
    """Each page's text without its running header and footer: an edge line that recurs, digits
    aside, on most pages of a document of three pages or more ("Công báo/Số 12/Ngày …"). A line
    that starts a legal unit ("Điều 4.", "1.", "a)") is never one."""
    if len(pages) >= 3:
        def key(line: str) -> str:
            return re.sub(r"\d+", "#", line)

        edges = Counter(k for lines in pages for k in {key(x) for x in lines[:EDGE_LINES] + lines[-EDGE_LINES:]
                                                         if not _STRUCTURE_RE.match(x)})
        running = {k for k, n in edges.items() if n >= 0.6 * len(pages)}
        pages = [[x for i, x in enumerate(lines) if not ((i < EDGE_LINES or i >= len(lines) - EDGE_LINES)
                                                         and key(x) in running)] for lines in pages]
    return ["\n".join(lines) for lines in pages]


def join_pdf_lines(lines: list[str]) -> str:
    """Glue lines that the PDF layout broke mid-sentence back into paragraphs.

    A line is appended to the previous one only when it is safe: the line does not start a
    legal unit (Điều/Chương/Mục, clause "1.", point "a)", a dash item), the previous line does
    not end a sentence ([.:;!?]) and the previous line is not short compared with a full line
    of the document (a short line is a heading or a centred title, not a wrapped line).
    Vietnamese is not hyphenated, so glued lines are joined with a space.
    """
    full = _full_line_length(lines)
    out: list[str] = []
    previous = ""  # the previous physical line (out[-1] may hold several joined ones)
    for line in lines:
        if out and _continues(previous, line, full):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
        previous = line
    return "\n".join(out)


def _full_line_length(lines: list[str]) -> int:
    """Length of a full-width line: the 90th percentile of line lengths."""
    lengths = sorted(len(line) for line in lines)
    if len(lengths) < 2:
        return lengths[0] if lengths else 0
    return int(statistics.quantiles(lengths, n=10)[-1])


def _continues(previous: str, line: str, full: int) -> bool:
    if _STRUCTURE_RE.match(line) or previous.endswith(_SENTENCE_END):
        return False
    return len(previous) >= 0.7 * full


# --- .html ----------------------------------------------------------------------------------

_DROP_TAGS = ("script", "style", "nav", "aside", "form",
              "noscript", "template", "iframe", "svg", "button", "select")  # + header/footer
_WHITESPACE_RE = re.compile(r"\s+")
_BLOCK_TAGS = frozenset(
    "address article blockquote caption center dd div dl dt figcaption figure h1 h2 h3 h4 h5 h6 "
    "hr li main ol p pre section table tbody thead tfoot tr ul".split()
)
_CELL_TAGS = frozenset(("td", "th"))


def _read_html(data: bytes, name: str) -> str:
    from bs4 import BeautifulSoup

    if _looks_binary(data):
        raise _mismatch(name, "trang HTML")
    soup = BeautifulSoup(data, "html.parser")
    for tag in soup.find_all(list(_DROP_TAGS)):
        tag.decompose()
    for tag in soup.find_all(["header", "footer"]):
        if tag.find_parent("article") is None:  # an article's own header holds its title
            tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    parts: list[str] = []
    _html_text(root, parts)
    return "".join(parts)


def _html_text(node, out: list[str]) -> None:
    """Inline text flows into the current line; block elements and <br> start new lines."""
    from bs4 import Comment, Declaration, Doctype, NavigableString, ProcessingInstruction

    for child in node.children:
        if isinstance(child, (Comment, Declaration, Doctype, ProcessingInstruction)):
            continue
        if isinstance(child, NavigableString):
            out.append(_WHITESPACE_RE.sub(" ", str(child)))
        elif child.name == "br":
            out.append("\n")
        elif child.name in _CELL_TAGS:
            out.append("" if _line_is_empty(out) else " | ")
            _html_text(child, out)
        else:
            is_block = child.name in _BLOCK_TAGS
            out.append("\n" if is_block else "")
            _html_text(child, out)
            out.append("\n" if is_block else "")


def _line_is_empty(out: list[str]) -> bool:
    """True when nothing but whitespace was written since the last line break."""
    for part in reversed(out):
        tail = part.rsplit("\n", 1)
        if tail[-1].strip():
            return False
        if len(tail) > 1:
            return True
    return True


_READERS: dict[str, Callable[[bytes, str], str]] = {
    ".txt": _read_txt,
    ".docx": _read_docx,
    ".pdf": _read_pdf,
    ".html": _read_html,
    ".htm": _read_html,
}
