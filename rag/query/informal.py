"""Informal Vietnamese → the wording documents use, before anything else reads the question.

Why: citizens type "cho e hỏi kiểm định cân ở đâu ạ", "kiem dinh can o dau vay ad", "đăng kí
hok đc". Fillers and teencode counted as topic words the documents do not cover, so covered
questions were refused. This step removes polite openers and closers, address forms, emoji and
repeated punctuation, and rewrites chat abbreviations, casual spellings and English loanwords
("test", "online"; not inside an English question) and numbers typed with a unit ("16t", "50tr")
(`informal.json`, one reason per entry).
Legal text wins collisions: references and document numbers are masked first ("điểm k" never
becomes "điểm không"); ambiguous short forms ("tt", "gđ", "đc", "hs", "hđ") are resolved from the
neighbouring word or left as typed. A question typed without diacritics gets
diacritic-free rewrites, so that accent restoration still runs on it afterwards.

Example:
    >>> normalize_informal("cho e hỏi kiểm định cân điện tử thì đến đâu ạ")
    'kiểm định cân điện tử thì đến đâu'
    >>> normalize_informal("kiem dinh can o dau vay ad")
    'kiem dinh can o dau'
    >>> normalize_informal("điểm k khoản 2 điều 7 TT 10 là j")
    'điểm k khoản 2 điều 7 thông tư 10 là gì'
"""
from __future__ import annotations

import functools
import json
import re
import unicodedata
from pathlib import Path

from rag.query.words import is_english
from rag.text import DOCUMENT_NUMBER, fold, has_diacritics

_FILE = Path(__file__).with_name("informal.json")
_TOKEN = re.compile(r"\uE000\d+\uE001|[\w&]+|[^\w\s]")
_PROTECT = re.compile(
    r"(?i)\b(?:điểm|diem)\s+[a-zđ]\b|\b(?:khoản|khoan|điều|dieu|chương|chuong|mục|muc)\s+[\dIVXLC]+\b"
    rf"|{DOCUMENT_NUMBER}|\b[A-ZĐ]{{2,}}(?:-[A-ZĐ&]+)+\b"
    r"|\b\d{1,4}(?:/\d{1,4})+\b")  # "27/2026" (a short document number), "15/3/2026": not "27 / 2026"
_PUNCT = set("?.!,;:")
_NUMBER_UNIT = re.compile(r"(\d+)([a-z]{1,2})")


@functools.lru_cache(maxsize=1)
def _lexicon() -> dict:
    raw = json.loads(_FILE.read_text(encoding="utf-8"))
    key = lambda phrase: tuple(t.lower() for t in _TOKEN.findall(phrase))  # noqa: E731
    return {
        "start": sorted({key(p) for p in raw["start"]}, key=len, reverse=True),
        "end": sorted({key(p) for p in raw["end"]}, key=len, reverse=True),
        "words": {w.lower(): to for w, (to, _why) in raw["words"].items()},
        "folded_words": {fold(w): to for w, (to, _why) in raw["words"].items() if not has_diacritics(w)},
        "loanwords": {fold(w): to for w, (to, _why) in raw["loanwords"].items()},
        "ambiguous": {fold(k): v["rules"] for k, v in raw["ambiguous"].items()},
        "number_units": {unit: to for unit, (to, _why) in raw["number_units"].items()},
        "fillers": (*raw["start"], *raw["end"]),
        "filler_keys": sorted({key(p) for p in (*raw["start"], *raw["end"])}, key=len, reverse=True),
    }


def fillers() -> tuple[str, ...]:
    """The openers and closers that carry no question ("cho em hỏi", "ad ơi", "ạ", "cảm ơn")."""
    return _lexicon()["fillers"]


def _strip_noise(text: str) -> str:
    """Emoji and other symbols removed; "???", "!!!" and "…" collapsed to one mark."""
    text = "".join(c for c in text if unicodedata.category(c) not in ("So", "Sk", "Cs", "Co") or c in "&")
    text = re.sub(r"([?!.,])(?:\s*[?!.,])+", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def _is(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    """Whether `tokens` are `phrase` (lower-case, as the lexicon writes it): with their accents when
    typed with them, folded when typed without. Why: folded, the closer "thế" ("sao thế?") had also
    taken the "thể" of "tập thể?" and "cụ thể?", and the question shown lost its last word."""
    return len(tokens) == len(phrase) and all(
        t.lower() == w if has_diacritics(t) else fold(t) == fold(w) for t, w in zip(tokens, phrase))


def _strip_ends(tokens: list[str]) -> list[str]:
    """Remove polite openers and closers at both ends, repeatedly; a final "?" is kept."""
    lex = _lexicon()
    tail = [t for t in tokens[-1:] if t == "?"]
    changed = True
    while changed and tokens:
        changed = False
        while tokens and tokens[-1] in _PUNCT:
            tokens = tokens[:-1]
        for phrase in lex["start"]:
            if len(phrase) < len(tokens) and _is(tokens[: len(phrase)], phrase):
                tokens, changed = tokens[len(phrase):], True
                break
        for phrase in lex["end"]:
            if len(phrase) < len(tokens) and _is(tokens[-len(phrase):], phrase):
                tokens, changed = tokens[: -len(phrase)], True
                break
    while tokens and tokens[0] in _PUNCT:
        tokens = tokens[1:]
    return tokens + tail


def _strip_clauses(tokens: list[str]) -> list[str]:
    """`_strip_ends` on the whole question, then on each of its clauses: a closer before a comma
    ("kiểm định cân ở đâu vậy ad, tiệm em bán tạp hóa") is as empty as one at the end, and a clause
    made of fillers only ("mn ơi, cho e hỏi vs, …") goes with its comma."""
    out: list[str] = []
    clause: list[str] = []
    for tok in [*_strip_ends(tokens), None]:
        if tok is not None and tok not in _PUNCT:
            clause.append(tok)
            continue
        if not _only_fillers(clause) or tok == "?":
            out += _strip_ends(clause) + ([tok] if tok is not None else [])
        clause = []
    return out


def _only_fillers(clause: list[str]) -> bool:
    """Whether a clause is made of openers and closers alone: "cho e hỏi vs", "ad ơi"."""
    phrases = _lexicon()["filler_keys"]
    while clause:
        phrase = next((p for p in phrases if _is(clause[:len(p)], p)), None)
        if phrase is None:
            return False
        clause = clause[len(phrase):]
    return True


def _resolve(rules: list[dict], prev: str, rest: list[str]) -> str | None:
    """The reading of an ambiguous short form from its neighbours, or None (leave it as typed)."""
    nxt = " ".join(rest[:2])
    for rule in rules:
        if any(fold(n) == prev for n in rule.get("prev", ())):
            return rule["to"]
        for n in rule.get("next", ()):
            if (n == "#num" and rest and rest[0].isdigit()) or (n != "#num" and (nxt + " ").startswith(fold(n) + " ")):
                return rule["to"]
        if rule.get("before_punct") and (not rest or rest[0] in _PUNCT):
            return rule["to"]
        if rule.get("between_words") and prev.isalpha() and rest and rest[0].isalpha():
            return rule["to"]
        if rule.get("default"):
            return rule["to"]
    return None


def _rewrite(tokens: list[str], accented: bool, english: bool) -> list[str]:
    lex = _lexicon()
    loanwords = {} if english else lex["loanwords"]  # "test", "online" are words of an English question
    folded = [fold(t) for t in tokens]
    out = []
    for i, tok in enumerate(tokens):
        low = tok.lower()
        formal = len(tok) > 1 and tok.isupper()  # "CĐS", "CNTT" as a document writes them: left to the glossary
        new = None if formal else (lex["words"].get(low) or loanwords.get(folded[i])
                                   or (None if accented else lex["folded_words"].get(folded[i])))
        if new is None and folded[i] in lex["ambiguous"] and (accented or not has_diacritics(tok)):
            new = _resolve(lex["ambiguous"][folded[i]], folded[i - 1] if i else "", folded[i + 1:])
        if new is None and (m := _NUMBER_UNIT.fullmatch(folded[i])) and m.group(2) in lex["number_units"]:
            new = f"{m.group(1)} {lex['number_units'][m.group(2)]}"  # "16t" → "16 tuổi"
        out.append(tok if new is None else (new if accented else fold(new)))
    return out


def normalize_informal(text: str) -> str:
    """`text` (already NFC) with informal wording resolved; unchanged when it is already formal."""
    text = _strip_noise(text)
    saved: list[str] = []

    def mask(m: re.Match[str]) -> str:
        saved.append(m.group(0))
        return f"\uE000{len(saved) - 1}\uE001"

    masked = _PROTECT.sub(mask, text)
    accented = has_diacritics(masked)
    tokens = _rewrite(_strip_clauses(_TOKEN.findall(masked)), accented, is_english(masked))
    out = re.sub(r"\s+([?.,!;:])", r"\1", " ".join(tokens))
    out = re.sub(r"\uE000(\d+)\uE001", lambda m: saved[int(m.group(1))], out)
    return out or text
