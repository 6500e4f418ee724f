"""Make a follow-up question standalone before retrieval (extractive mode; LLM mode uses a prompt).

Why: "Còn cấp xã thì sao?" or "Trung tâm đó có những phòng nào?" retrieve nothing useful alone.
Rules, in order:
1. the follow-up names a body but no topic, and says it goes on ("Còn ở cấp tỉnh thì Sở làm gì?") or
   asks nothing of its own ("Trung tâm TĐC?"; not "Trung tâm CĐS có những phòng nào?") → the
   previous question with its body replaced by the new one;
2. the follow-up refers back ("trung tâm đó", "nó"), or names no body while the previous question
   did and leans on it (`_leans_back`) → the anaphor is replaced by (or the question completed
   with) the previous body;
3. otherwise the follow-up is already standalone.
Before them: a follow-up that names a clause or point but no article ("Còn khoản 14 thì sao?")
continues the address of the latest question that named one ("Khoản 3 Điều 4 quy định gì?").

Example:
    >>> condense("Còn cấp xã thì sao?", [{"role": "user", "content": "Sở có nhiệm vụ gì về bưu chính?"}], g)
    'Phòng Văn hóa - Xã hội có nhiệm vụ gì về bưu chính?'
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from rag.documents.glossary import Glossary
from rag.query.informal import normalize_informal
from rag.query.words import blank_phrases, content_words, lexicon, parse_references
from rag.text import fold, has_diacritics, normalize

_ANAPHORA = re.compile(
    r"(?i)\b(trung tâm|đơn vị|cơ quan|phòng|sở)\s+(đó|này|ấy|trên)\b|\b(nó|đơn vị đó|cơ quan đó)\b|"
    r"\b(trung tam|don vi|co quan|phong)\s+(do|nay|ay)\b"
)
# Where the subject of a previous question ends: "Trung tâm … Sơn La | thành lập trên cơ sở nào?"
_SUBJECT_END = re.compile(r"(?i)\s+(thành lập|được|có|là|gồm|hoạt động|làm|thực hiện|chịu|phụ trách|quản lý|ở|do)\b|[?.,]")


def _user_turns(history: list[dict]) -> Iterator[str]:
    """The user turns' texts, latest first (informal wording resolved); turns that are not
    {"role", "content"} objects, and content parts that are not text, are skipped."""
    for turn in reversed(history or []):
        if not isinstance(turn, dict) or turn.get("role") != "user":
            continue
        content = turn.get("content")
        if isinstance(content, list):  # Gradio / OpenAI style content parts
            content = " ".join(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
        if isinstance(content, str) and content.strip():
            yield normalize_informal(normalize(content))


def last_user_question(history: list[dict]) -> str | None:
    """The last user turn's text (informal wording resolved), or None."""
    return next(_user_turns(history), None)


_ADDRESS = re.compile(r"(?i)\b(?:điều|dieu|khoản|khoan|điểm|diem)\s+(?:\d{1,3}|[a-zđ])\b")


def _continued_address(question: str, history: list[dict]) -> str | None:
    """"Còn khoản 14 thì sao? (Điều 4 quy định gì?)" for "Còn khoản 14 thì sao?" after "Khoản 3 Điều 4
    quy định gì?": a clause or point named without its article takes the article (and, for a point,
    the clause) of the latest question that named one, and that question's other words, which may
    name its document. Why: alone, "khoản 14" had been matched by text to another article's khoản 14."""
    now = parse_references(question)
    if not {"clause", "point"} & set(now) or "article" in now:
        return None
    for earlier in _user_turns(history):
        before = parse_references(earlier)
        if "article" in before:
            address = f"Điều {before['article']}"
            if "clause" not in now and "clause" in before:
                address = f"khoản {before['clause']} {address}"
            rest = " ".join(_ADDRESS.sub(" ", earlier).split())
            return f"{question} ({address} {rest})"
    return None


# A question word left once the bodies and the follow-up wording ("còn", "thì sao", "thế nào") are
# blanked: "Trung tâm CĐS có những phòng nào?" asks its own question about a new body, while "Còn
# cấp xã thì sao?" asks the previous one again (it had been made "Trung tâm CĐS có nhiệm vụ gì về
# bưu chính?" after a question on bưu chính).
_INTERROGATIVE = re.compile(r"\b(?:ai|gi|nao|dau|bao nhieu|bao lau|may|khong|chua|ra sao|lam sao)\b")


def _asks_its_own(question: str, glossary: Glossary) -> bool:
    """A question word is left once its bodies and its follow-up wording are blanked (`_INTERROGATIVE`)."""
    return bool(_INTERROGATIVE.search(fold(blank_phrases(glossary.without_bodies(question), lexicon()["followup"]))))


def _antecedent(previous: str, head: str) -> str | None:
    """The noun phrase of the previous question that starts with `head` ("Trung tâm TĐC", "Trung tâm … Sơn La")."""
    if not head:
        return None
    m = re.search(rf"(?i)\b{re.escape(head)}\b", previous)
    if not m:
        return None
    end = _SUBJECT_END.search(previous, m.end())
    phrase = previous[m.start(): end.start() if end else len(previous)].strip()
    return phrase if len(phrase) > len(head) else None


def _continues(question: str) -> bool:
    """Whether it says it goes on from the previous question: "Còn …", "Vậy …", "… thì sao?"."""
    return bool(lexicon()["continuation"].search(" ".join(re.findall(r"\w+", fold(question)))))


def _leans_back(question: str, residual: str, glossary: Glossary, refers_back: bool) -> bool:
    """Whether a question naming no body continues the previous one: it says so ("Còn …", "Vậy …",
    "… thì sao?"), refers back ("Nó có …"), or is too short to stand alone ("Có mất phí không?").
    Why: the chat sends every question with its history, and "kiem dinh can o dau", asked after a
    question on the Phòng, had been searched as a question on the Phòng. Its topic words (those of
    `residual`) count what abbreviations and lay terms stand for: "kiem dinh can o dau" has two once
    "can" is read as the stopword "cần", but its "cân" is a measuring instrument."""
    if refers_back or _continues(question):
        return True
    return len(content_words(glossary.expand(residual, typed_accents=has_diacritics(question)))) <= 2


def condense(question: str, history: list[dict], glossary: Glossary,
             restore: Callable[[str], str] | None = None) -> str:
    """The follow-up rewritten as a standalone question (unchanged when it already is one).
    `restore` gives a previous question typed without accents its accents first: "so co nhiem vu
    gi ve buu chinh" names the Sở only as "sở", and its words are carried into the follow-up."""
    previous = last_user_question(history)
    if not previous:
        return question
    if continued := _continued_address(question, history):
        return continued
    if restore and not has_diacritics(previous):
        previous = restore(previous)
    now_bodies, before_bodies = glossary.bodies_in(question), glossary.bodies_in(previous)
    residual = blank_phrases(glossary.residual(question), lexicon()["followup"])
    topic_now = content_words(residual)
    if now_bodies and not topic_now and (_continues(question) or not _asks_its_own(question, glossary)):
        names = " và ".join(b.short for b in now_bodies)
        return f"{names} {glossary.without_bodies(previous)}"
    anaphor = _ANAPHORA.search(question)
    if anaphor and (antecedent := _antecedent(previous, anaphor.group(1) or "")):
        return question[: anaphor.start()] + antecedent + question[anaphor.end():]
    if before_bodies and not now_bodies and _leans_back(question, residual, glossary, bool(anaphor)):
        return f"{question} ({before_bodies[0].short})"
    if not now_bodies and not topic_now:
        return f"{question} {previous}"
    if anaphor:
        return f"{question} ({glossary.without_bodies(previous)})"
    return question
