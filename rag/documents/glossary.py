"""Abbreviations, defined short names and the bodies the circular assigns duties to.

Why: users write "TĐC", "Sở KHCN", "CDS"; the circular writes "Trung tâm TĐC" once and the full
phrase elsewhere. Expanding abbreviations identically on documents and queries lets lexical
retrieval match both; knowing which articles belong to which body lets retrieval prefer the
body the question names and lets the extractive answer say who does what.
"""
from __future__ import annotations

import json
import re
import dataclasses
from dataclasses import dataclass
from pathlib import Path

from rag.text import fold, has_diacritics, normalize, plain_name, whole_words


MIN_MENTIONS = 3  # see Glossary.without_covered


@dataclass(frozen=True)
class Body:
    name: str
    short: str
    names: tuple[str, ...]
    articles: tuple[int, ...]  # the articles of `Glossary.doc_id` that set out its duties
    role_label: str = ""  # how an answer introduces it: "cơ quan quản lý nhà nước cấp tỉnh"

    @property
    def display(self) -> str:
        """"Trung tâm Tiêu chuẩn Đo lường Chất lượng (Trung tâm TĐC)": full name and the circular's short name."""
        return self.name if self.short in self.name else f"{self.name} ({self.short})"


@dataclass(frozen=True)
class Glossary:
    doc_id: str  # the document whose articles `bodies` and `role_cues` refer to ("" when none)
    expansions: dict[str, str]  # abbreviation (as written) -> expansion
    bodies: tuple[Body, ...]
    aspects: dict[str, tuple[str, ...]]  # heading ("nhiệm vụ, quyền hạn") -> question phrases
    foreign_bodies: tuple[str, ...]  # other departments: questions about them are out of scope
    not_names: tuple[str, ...] = ()  # "sở hữu", "xã hội": not the bodies "Sở", "xã"
    english: dict[str, str] = dataclasses.field(default_factory=dict)  # English phrase -> Vietnamese
    lay_terms: dict[str, str] = dataclasses.field(default_factory=dict)  # "cân điện tử" -> "phương tiện đo"
    other_topics: tuple[str, ...] = ()  # areas these documents do not cover (for abstention)
    role_cues: dict[str, dict] = dataclasses.field(default_factory=dict)  # role -> {"phrases", "articles"}
    examples: tuple[str, ...] = ()  # example questions the chat shows for this document
    actors: tuple[str, ...] = ()  # authorities the document has decide things ("ủy ban nhân dân"), for "{actor}" cues

    @classmethod
    def from_dict(cls, d: dict) -> "Glossary":
        """Inverse of `dataclasses.asdict` (the copy persisted with the index); also used by `load_glossary`."""
        bodies = tuple(Body(**{**b, "names": tuple(b["names"]), "articles": tuple(b["articles"])}) for b in d["bodies"])
        aspects = {k: tuple(v) for k, v in d["aspects"].items()}
        return cls(d["doc_id"], d["expansions"], bodies, aspects, tuple(d["foreign_bodies"]), tuple(d["not_names"]), d["english"],
                   d["lay_terms"], tuple(d["other_topics"]), d["role_cues"],
                   tuple(d.get("examples", ())), tuple(d.get("actors", ())))

    def expand(self, text: str, typed_accents: bool = True) -> str:
        """Append the expansion of every abbreviation found (diacritics optional) and the legal term of
        every lay term to `text`. Lay terms match with their accents when `text` has any: folded, "cân"
        (scale) was found in every "căn cứ" and "cần" of the documents and of questions. A question
        typed without accents (`typed_accents=False`) has guessed ones ("kiem dinh can" read as "kiểm
        định cần"): its lay terms match folded, as typed."""
        folded = fold(text)
        extra = [exp for abbr, exp in self.expansions.items() if _find(fold(abbr), folded)]
        extra += self.english_terms(text)
        hay, accented = self._haystack(text) if typed_accents else (f" {folded} ", False)
        extra += [legal for lay, legal in self.lay_terms.items() if _find(_key(lay, accented), hay)]
        return text if not extra else f"{text} ({'; '.join(dict.fromkeys(extra))})"

    def english_terms(self, text: str) -> list[str]:
        """Vietnamese terms for the English phrases in `text`, longest phrase first, each word used once
        ("digital transformation centre" gives "Trung tâm Chuyển đổi số", not also "chuyển đổi số")."""
        hay, out = f" {text.lower()} ", []
        for en in sorted(self.english, key=len, reverse=True):
            if pos := _find(en, hay):
                out.append(self.english[en])
                hay = hay[: pos[0]] + " " * (pos[1] - pos[0]) + hay[pos[1]:]
        return out

    def _haystack(self, question: str) -> tuple[str, bool]:
        """Text to match names in: lower-cased with diacritics when typed so, else folded."""
        accented = has_diacritics(question)
        return f" {normalize(question).lower() if accented else fold(question)} ", accented

    def _matches(self, phrase: str, text: str, accented: bool) -> tuple[int, int] | None:
        if not accented and len(phrase.split()) == 1 and has_diacritics(phrase):
            return None  # "so" may be "số", "xa" may be "xa": one-syllable names need their accents
        needle = _key(phrase, accented)
        for other in self.not_names:  # "sở hữu" does not name the Sở; "UBND cấp xã" is not the Phòng
            key = _key(other, accented)
            if key not in needle:
                text = text.replace(key, " " * len(key))
        return _find(needle, text)

    def bodies_in(self, question: str) -> list[Body]:
        """Bodies a question names, longest mention first, each span of text used once."""
        text, accented = self._haystack(question)
        found: list[Body] = []
        for body, name in sorted(((b, n) for b in self.bodies for n in b.names), key=lambda t: -len(t[1])):
            pos = self._matches(name, text, accented)
            if pos and body not in found:
                found.append(body)
                text = text[: pos[0]] + " " * (pos[1] - pos[0]) + text[pos[1]:]
        return found

    def aspects_in(self, question: str) -> list[str]:
        """Headings ("nhiệm vụ, quyền hạn", "cơ cấu tổ chức") that a question asks about."""
        text, accented = self._haystack(question)
        return [h for h, phrases in self.aspects.items() if any(self._matches(p, text, accented) for p in phrases)]

    def spell_out(self, text: str) -> str:
        """`text` with every abbreviation replaced in place by what it stands for ("UBND tỉnh" →
        "ủy ban nhân dân tỉnh"), so that a cue is written once, in full."""
        for abbr, full in sorted(self.expansions.items(), key=lambda kv: -len(kv[0])):
            for form in {abbr, fold(abbr)}:
                text = re.sub(whole_words(form), full, text, flags=re.IGNORECASE)
        return text

    def _cue_phrases(self, phrases: list[str]) -> list[str]:
        """Cue phrases with "{actor}" written out for every actor, at every level ("… cấp tỉnh", "… xã")."""
        levels = ("", " cấp tỉnh", " cấp xã", " tỉnh", " xã")
        return [p.replace("{actor}", f"{a}{lvl}") for p in phrases for a in (self.actors if "{actor}" in p else ("",))
                for lvl in (levels if "{actor}" in p else ("",))]

    def cued_articles(self, question: str, overriding: bool = False) -> set[int]:
        """Articles of the role (service delivery, state management…) the question's wording points to;
        with `overriding`, only cues that outweigh the body a question names (`"overrides_bodies"`)."""
        text, accented = self._haystack(self.spell_out(question))
        return {a for cue in self.role_cues.values() if cue.get("overrides_bodies", False) == overriding
                if any(self._matches(p, text, accented) for p in self._cue_phrases(cue["phrases"]))
                for a in cue["articles"]}

    def _blank(self, question: str, phrases: list[str], once: tuple[str, ...] = ()) -> str:
        """`question` without `phrases` (every occurrence) and `once` (the first occurrence only)."""
        text, accented = self._haystack(question)
        for phrase in sorted([*phrases, *once], key=len, reverse=True):
            while pos := self._matches(phrase, text, accented):
                text = text[: pos[0]] + " " + text[pos[1]:]
                if phrase in once and phrase not in phrases:
                    break
        return " ".join(text.split())

    def without_bodies(self, question: str) -> str:
        """The question with the bodies it names blanked (for carrying its topic over to a follow-up)."""
        return self._blank(question, [n for b in self.bodies for n in b.names])

    def residual(self, question: str) -> str:
        """The question with body names and its aspect phrase blanked: what is left is its topic.

        An aspect phrase goes once: in "Sở có nhiệm vụ gì về đánh giá nhiệm vụ khoa học?" the second
        "nhiệm vụ" is the topic (a research task), not the aspect."""
        return self._blank(question, [n for b in self.bodies for n in b.names],
                           tuple(p for ps in self.aspects.values() for p in ps))

    def foreign_body_in(self, question: str) -> str | None:
        """A department the documents do not cover (Sở Y tế, Phòng Tài chính - Kế hoạch…), if named."""
        text, accented = self._haystack(question)
        return next((b for b in self.foreign_bodies if self._matches(b, text, accented)), None)

    def without_covered(self, other_texts: list[str]) -> "Glossary":
        """This glossary with the uncovered areas and departments that another loaded document names
        dropped: scope follows the corpus ("kết hôn" is out of scope only until a law on marriage is
        loaded). An area goes when one of its comma-separated phrases occurs at least `MIN_MENTIONS` times
        in other documents (a passing mention of "y tế" in a marriage law does not make it a health law);
        a department goes when another regulation names it once: a provincial decision that gives
        "Sở Nông nghiệp và Môi trường" two duties names it once, and its questions must reach them."""
        hay = " ".join(f" {fold(t)} " for t in other_texts)
        if not hay.strip():
            return self

        def named(phrase: str, times: int = MIN_MENTIONS) -> bool:
            key = fold(phrase.strip())
            return bool(key) and len(re.findall(whole_words(key), hay)) >= times

        topics = tuple(t for t in self.other_topics if not any(named(p) for p in t.split(",")))
        foreign = tuple(b for b in self.foreign_bodies if not named(b, times=1))
        return dataclasses.replace(self, other_topics=topics, foreign_bodies=foreign)

    def body_of(self, doc_id: str, article: int | None) -> Body | None:
        """The body whose duties an article of a document sets out (only in the glossary's document)."""
        if doc_id != self.doc_id or article is None:
            return None
        return next((b for b in self.bodies if article in b.articles), None)


def _key(phrase: str, accented: bool) -> str:
    return normalize(phrase).lower() if accented else fold(phrase)


def _find(needle: str, haystack: str) -> tuple[int, int] | None:
    m = re.search(whole_words(needle), haystack)
    return (m.start(), m.end()) if m else None


def load_glossary(data_dir: Path, defined: dict[str, tuple[tuple[str, ...], str]] | None = None) -> Glossary:
    """Read `data/glossary.json` and merge the names the corpus defines (see `parse.defined_aliases`).

    A body is also named by its full name, by every name the circular gives it, and by each of
    these without its connectives (`plain_name`), so that "Trung tâm Thông tin và
    Thống kê khoa học và công nghệ" is blanked whole from a question's topic, not left as "… và
    công nghệ", and "Sở Khoa học Công nghệ" is the Sở, not the Sở and a topic "khoa học công nghệ".
    Names with an abbreviation for what they spell out ("Phòng VHXH") were tried too: four informal
    questions lost their gold citation ("gđ tt ứng dụng tiến bộ khcn chịu tn trước ai v" was left
    with the topic "chịu tn trước" and refused), so a name is abbreviated only where the overlay
    says so."""
    path = data_dir / "glossary.json"
    raw = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"expansions": {}, "bodies": []}
    defined = defined or {}
    expansions = {normalize(k): normalize(v) for k, v in raw["expansions"].items()}
    for alias, (names, _uid) in defined.items():
        if names and alias not in expansions and " " in alias:
            expansions[normalize(alias)] = normalize(names[0])

    def body_names(b: dict) -> list[str]:
        given = defined.get(b["short"], ((), ""))[0]
        names = [normalize(n).lower() for n in [*b["names"], b["name"], *given]]
        return list(dict.fromkeys(v for n in names for v in (n, plain_name(n))))

    return Glossary.from_dict({
        "doc_id": raw.get("doc_id", ""),
        "expansions": expansions,
        "bodies": [{**b, "names": body_names(b)} for b in raw["bodies"]],
        "aspects": {normalize(h): [normalize(p) for p in ps] for h, ps in raw.get("aspects", {}).items()},
        "foreign_bodies": [normalize(b) for b in raw.get("foreign_bodies", [])],
        "not_names": [normalize(n) for n in raw.get("not_names", [])],
        "english": raw.get("english", {}),
        "lay_terms": {normalize(k): normalize(v) for k, v in raw.get("lay_terms", {}).items()},
        "other_topics": [normalize(t) for t in raw.get("other_topics", [])],
        "role_cues": raw.get("role_cues", {}),
        "examples": raw.get("examples", []),
        "actors": [normalize(a) for a in raw.get("actors", [])],
    })
