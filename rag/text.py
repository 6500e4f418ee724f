"""Vietnamese text normalisation and tokenisation, applied identically to documents and queries.

Why: the same word arrives as NFD or NFC, with the tone mark on either vowel ("hoà"/"hòa",
"thuỷ"/"thủy"), or with no diacritics at all ("ma so ma vach"). Everything that is matched
goes through `normalize` first; quoted text never does (the corpus text is kept verbatim).

Example:
    >>> normalize("Văn hoá - Xã hội, thuỷ sản")
    'Văn hóa - Xã hội, thủy sản'
    >>> fold("Đơn vị nào phụ trách mã số mã vạch?")
    'don vi nao phu trach ma so ma vach?'
"""
from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterator

# Old-style tone placement on the last vowel of "oa", "oe", "uy" moves to the first vowel,
# matching the corpus ("hóa", "thủy"). "qu" + "ý" is left alone: there "u" belongs to "qu".
_TONE_MOVES = {
    "o": {"à": "òa", "á": "óa", "ả": "ỏa", "ã": "õa", "ạ": "ọa",
          "è": "òe", "é": "óe", "ẻ": "ỏe", "ẽ": "õe", "ẹ": "ọe"},
    "u": {"ỳ": "ùy", "ý": "úy", "ỷ": "ủy", "ỹ": "ũy", "ỵ": "ụy"},
}
_TONE_RE = re.compile(r"(?<![qQ])([oOuU])([àáảãạèéẻẽẹỳýỷỹỵÀÁẢÃẠÈÉẺẼẸỲÝỶỸỴ])(?![^\W\d_])")
_WORD_RE = re.compile(r"[^\W_]+(?:[&/][^\W_]+)*", re.UNICODE)
# An official document number as a question or a citation writes it, any case, folded or not:
# "52/2014/QH13", "10/2025/tt-bkhcn", "1234/QĐ-UBND". Without a year the code must have a dash, so
# that "8 giờ/ngày" or "5%/tháng" never match. (A document's own "Số:" line is read more loosely,
# spaces and all, by `rag.documents.metadata`.)
DOCUMENT_NUMBER = r"(?<![\w/])\d{1,5}/(?:\d{4}/[^\W\d_][\w&]*(?:-[\w&]+)*|[^\W\d_]+(?:-[\w&]+)+)(?![\w/])"


def _move_tone(m: re.Match[str]) -> str:
    first, marked = m.group(1), m.group(2)
    moved = _TONE_MOVES[first.lower()].get(marked.lower())
    if moved is None:
        return m.group(0)
    out = moved if first.islower() else moved[0].upper() + moved[1]
    if marked.isupper():
        out = out[0] + out[1].upper()
    return out


def normalize(text: str) -> str:
    """NFC, one tone-mark placement, collapsed whitespace. Case and punctuation are kept."""
    text = unicodedata.normalize("NFC", text)
    text = _TONE_RE.sub(_move_tone, text)
    return re.sub(r"\s+", " ", text).strip()


_COMBINING = re.compile("[\u0300-\u036f]")  # the combining marks Latin-script diacritics decompose into


def strip_diacritics(text: str) -> str:
    """Remove every Vietnamese diacritic, mapping đ/Đ to d/D. (A regex over the decomposed text:
    a per-character category test made this a fifth of a warm build.)"""
    text = text.replace("đ", "d").replace("Đ", "D")
    return _COMBINING.sub("", unicodedata.normalize("NFD", text))


# After a consonant, a syllable's final "y" and "i" are spellings of one vowel: "ký"/"kí", "lý"/"lí",
# "kỹ"/"kĩ", "tỷ"/"tỉ", "quy"/"qui". Documents write "y", many people "i"; folded, both are "i".
_FINAL_Y = re.compile(r"\b(ch|gh|kh|nh|ng|ph|qu|th|tr|[bcdghklmnprstvx])y\b")


def unify_y(folded: str) -> str:
    """`folded` (lower-cased, without diacritics) with a final "y" after a consonant written "i"."""
    return _FINAL_Y.sub(r"\1i", folded)


def fold(text: str) -> str:
    """Lower-cased, diacritic-free form, for matching queries typed without accents ("chữ kí số"
    and "chu ky so" fold alike: `unify_y`)."""
    return _fold_lowered(normalize(text).lower())


def _fold_lowered(text: str) -> str:
    """`fold` of a text already normalised and lower-cased (syllables): no second normalisation."""
    return unify_y(strip_diacritics(text))


def has_diacritics(text: str) -> bool:
    return strip_diacritics(text) != text


def syllables(text: str) -> list[str]:
    """Lower-cased syllables (words between spaces/punctuation); one-letter tokens kept."""
    return [w.lower() for w in _WORD_RE.findall(normalize(text))]


@functools.lru_cache(maxsize=1)
def _pyvi():
    from pyvi import ViTokenizer  # heavy-ish import (CRF model); only when tokenising

    return ViTokenizer


def words(text: str) -> list[str]:
    """Vietnamese words from pyvi ("mã_số"), lower-cased; single syllables kept, punctuation dropped."""
    segmented = _pyvi().tokenize(normalize(text))
    return [t.lower() for t in segmented.split() if _WORD_RE.fullmatch(t.replace("_", "x"))]


def passage_words(text: str) -> list[str]:
    """`words` line by line, each distinct line segmented once: an article's breadcrumb heads every
    one of its clauses and points, and pyvi's tagger was a third of a warm build."""
    return [w for line in text.split("\n") for w in _line_words(line)]


@functools.lru_cache(maxsize=65536)
def _line_words(line: str) -> tuple[str, ...]:
    return tuple(words(line))


def folded_terms(text: str) -> list[str]:
    """Diacritic-free syllables plus adjacent-syllable bigrams (bigrams stand in for compounds)."""
    syl = _fold_lowered(" ".join(syllables(text))).split()
    return syl + [f"{a}_{b}" for a, b in zip(syl, syl[1:])]


PREFERRED = 1000  # the count a preferred phrase adds: more than any document n-gram


_PHRASE_BREAK = re.compile(r"[^\w\s&/]")


def _phrases(text: str) -> Iterator[list[str]]:
    """The runs of syllables in `text` that punctuation or a number does not interrupt: a word pair
    across "chuyển đổi số, công nghệ" or "Điều 7 khoản" is no phrase anyone types."""
    for piece in _PHRASE_BREAK.split(text):
        run: list[str] = []
        for s in syllables(piece):
            if s.isalpha():
                run.append(s)
            elif run:
                yield run
                run = []
        if run:
            yield run


def accent_table(texts: list[str], preferred: list[str] = (), max_n: int = 3, dictionary: list[str] = (),
                 phrases: list[str] = ()) -> dict[str, tuple[str, int]]:
    """Folded 1..max_n-grams of syllables → (most frequent accented form, count) in `texts`.

    `preferred` phrases (everyday question words) win over corpus counts: "co" in a question is
    far more often "có" than the "cơ" of "cơ quan", and "toi" "tôi" though 28 laws spell "tới"
    1,500 times (a weight alone had lost to a large corpus). `phrases` (the glossary's lay terms and body
    names) win as phrases only: "can dien tu" → "cân điện tử", but their single syllables count
    like document text, so the lay term "cân" does not turn every "can" (mostly "cần") into "cân".
    `dictionary` words of 2..max_n syllables (a general Vietnamese word list) are kept apart (keys
    starting with "~"): they accent words that neither a preferred word nor a document n-gram of
    two or more syllables covers ("thuong tru" → "thường trú"), and outvote the documents' single
    syllables there (a corpus about science says "trữ" more often than "trú").
    """
    from collections import Counter

    counts: dict[str, Counter] = {}

    def words(text: str) -> tuple[list[str], str]:
        """The text's syllables, and the same folded, joined: the key of the n-gram they form."""
        syl = [s for s in syllables(text) if s.isalpha()]
        return syl, _fold_lowered(" ".join(syl))

    def add(text: str, weight: int, min_n: int = 1, weight_below: int = 0) -> None:
        for syl in _phrases(text):
            plain = _fold_lowered(" ".join(syl)).split(" ")  # folded once per phrase, not per n-gram
            for n in range(1, max_n + 1):
                for i in range(len(syl) - n + 1):
                    gram = " ".join(syl[i:i + n])
                    counts.setdefault(" ".join(plain[i:i + n]), Counter())[gram] += weight if n >= min_n else weight_below

    for text in texts:
        add(text, 1)
    forced = {}  # a preferred phrase is its own n-gram's form however often the documents spell it otherwise
    for phrase in preferred:
        add(phrase, PREFERRED)
        syl, key = words(phrase)
        forced[key] = " ".join(syl)
    for phrase in phrases:
        add(phrase, PREFERRED, min_n=2, weight_below=1)
    for word in dictionary:
        syl, key = words(word)
        if 2 <= len(syl) <= max_n and key not in counts:
            counts[f"~{key}"] = Counter({" ".join(syl): 1})
    return {k: (forced.get(k) or c.most_common(1)[0][0], sum(c.values())) for k, c in counts.items() if sum(c.values())}


@functools.lru_cache(maxsize=1)
def vietnamese_words() -> tuple[str, ...]:
    """pyvi's Vietnamese word list (31k entries, lower-cased): general vocabulary for accent restoration."""
    from importlib.resources import files

    text = files("pyvi").joinpath("models/words.txt").read_text(encoding="utf-8")
    return tuple(dict.fromkeys(normalize(w).lower() for w in text.splitlines() if " " in w.strip()))


def restore_diacritics(text: str, table: dict[str, tuple[str, int]], max_n: int = 3) -> str:
    """Re-accent a question typed without diacritics; unknown words, spacing and punctuation stay as typed.

    Every known n-gram covering a word votes for its accented form, longer n-grams louder, a
    question phrase ("bao nhiêu") twice as loud as a document n-gram of its length:
    context decides "so" → "số" in "chuyển đổi số" but "sở" in "sở khoa học".

    Example:
        >>> restore_diacritics("thong tu co hieu luc tu ngay nao", table)
        'thông tư có hiệu lực từ ngày nào'
    """
    from collections import defaultdict

    lowered = text.lower()
    spans = [m.span() for m in re.finditer(r"\w+|[^\w\s]", lowered)]
    tokens = [lowered[a:b] for a, b in spans]
    keys = [unify_y(t) for t in tokens]  # "chu ki so" looks up the documents' "chữ ký số"
    votes: list[dict[str, float]] = [defaultdict(float) for _ in tokens]
    known = [False] * len(tokens)  # an everyday question word, or inside a document phrase of 2+ syllables
    for n in range(1, max_n + 1):
        for i in range(len(tokens) - n + 1):
            hit = table.get(" ".join(keys[i:i + n]))
            if hit:
                phrase = 2 if n > 1 and hit[1] >= PREFERRED else 1  # "bao nhiêu" outvotes "tự bảo" in "tu bao nhieu"
                for k, word in enumerate(hit[0].split()):
                    votes[i + k][word] += phrase * n * n * (1 + 0.1 * math.log1p(hit[1]))
                    known[i + k] = known[i + k] or n > 1 or hit[1] >= PREFERRED
    for n in range(2, max_n + 1):  # general vocabulary for the other words
        for i in range(len(tokens) - n + 1):
            hit = table.get("~" + " ".join(keys[i:i + n]))
            if hit:
                for k, word in enumerate(hit[0].split()):
                    if not known[i + k]:
                        votes[i + k][word] += n * n
    out = [max(v, key=v.get) if v else t for t, v in zip(tokens, votes)]
    gaps = [lowered[end:start] for (_, end), (start, _) in zip([(0, 0), *spans], spans)]
    return "".join(g + w for g, w in zip(gaps, out)) + lowered[spans[-1][1]:] if spans else lowered


def plain_name(name: str) -> str:
    """A name as people type it, without its connectives: "Sở Khoa học và Công nghệ" → "Sở Khoa học
    Công nghệ", "Phòng Văn hóa - Xã hội" → "Phòng Văn hóa Xã hội", "Luật Phòng, chống …" → "Luật
    Phòng chống …". Questions name bodies and documents this way as often as in full."""
    return " ".join(re.sub(r"[,;]|\s[-–]\s|(?<!\w)và(?!\w)", " ", name).split())


def thousands(n: int) -> str:
    """12345678 → "12.345.678": thousands as Vietnamese writes them (in messages, never in quotes)."""
    return f"{n:,}".replace(",", ".")


def whole_words(*phrases: str) -> str:
    """A regex matching any of `phrases` as a whole word sequence, longest first. "&" counts as a
    word character, so "TĐC" is not found inside "TĐC&CL"."""
    alternatives = "|".join(sorted(map(re.escape, phrases), key=len, reverse=True))
    return rf"(?<![\w&])(?:{alternatives})(?![\w&])"
