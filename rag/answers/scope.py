"""What the assistant says about its own coverage: title, scope line, examples, refusals.

Why derived: with any set of documents loaded, the chat's title, its refusal and its suggestions
must name those documents, not a constant about one circular. Everything here comes from the
manifest (names, kinds) and the glossary overlay of a document when there is one (the bodies it
assigns duties to, example questions).

Example:
    >>> Scope.of(library).refusal(None)
    'Xin lỗi, tôi không tìm thấy nội dung này trong Thông tư 10/2025/TT-BKHCN và 4 tin bài liên quan, …'
"""
from __future__ import annotations

from dataclasses import dataclass

from rag.answers.extractive import Library


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " và " + names[-1]


@dataclass(frozen=True)
class Scope:
    documents_phrase: str  # "Thông tư 10/2025/TT-BKHCN và 4 tin bài liên quan"
    title: str
    description: str
    examples: tuple[str, ...]
    suggestions: str
    caution: str

    @classmethod
    def of(cls, library: Library) -> "Scope":
        docs = list(library.documents.values())
        laws = [d.name for d in docs if not d.is_news]
        news = sum(d.is_news for d in docs)
        shown = laws if len(laws) <= 2 else [laws[0], f"{len(laws) - 1} văn bản khác"]  # names are long
        phrase = _join(shown + ([f"{news} tin bài liên quan"] if news else [])) if docs else "các văn bản đã nạp"
        title = f"Trợ lý tra cứu {laws[0]}" if len(laws) == 1 else "Trợ lý tra cứu văn bản pháp luật"
        bodies = [b.name for b in library.glossary.bodies]
        description = f"Hỏi đáp về {phrase}" + (f": nhiệm vụ của {_join(bodies[:4])}…" if bodies else ".")
        with_articles = {u.doc_id for u in library.units.values() if u.kind == "article"}
        examples = tuple(library.glossary.examples) or tuple(
            f"Điều 1 {d.short_name} quy định gì?" for d in docs if d.doc_id in with_articles)[:3]
        suggestions = ("Tôi có thể trả lời về nội dung của các văn bản này."
                       + (f" Ví dụ: “{examples[0]}”" if examples else ""))
        caution = ("Lưu ý: các văn bản có thể không nói trực tiếp về mọi chi tiết trong câu hỏi; dưới đây là "
                   "những quy định gần nhất tìm thấy, hãy đối chiếu với trường hợp cụ thể.")
        return cls(phrase, title, description, examples, suggestions, caution)

    def no_such_unit(self, address: str, where: str = "") -> str:
        """"Điều 99" asked for and absent: say so, in the documents the question named or in all."""
        return f"Xin lỗi, {where or self.documents_phrase} không có {address}.\n\n{self.suggestions}"

    def reply(self, smalltalk: str) -> str:
        """The answer to a greeting or a question about the assistant ("greeting"), or to thanks."""
        if smalltalk == "thanks":
            return f"Rất vui được giúp bạn. {self.suggestions}"
        return (f"Xin chào! Tôi là trợ lý tra cứu {self.documents_phrase}. Tôi trả lời bằng nội dung của các văn "
                f"bản này, kèm trích dẫn nguyên văn điều, khoản, điểm; câu hỏi nằm ngoài các văn bản thì tôi "
                f"nói rõ là không có. {self.suggestions}")

    def no_such_document(self) -> str:
        """A document asked about by a number that none of the loaded documents has. The number is
        not repeated: it is the user's text, and a made-up citation must not come back as a quote."""
        return (f"Xin lỗi, văn bản có số hiệu nêu trong câu hỏi không có trong các văn bản đã nạp "
                f"({self.documents_phrase}), nên tôi không trả lời theo văn bản đó.\n\n{self.suggestions}")

    def refusal(self, foreign: str | None, nearest: str | None = None) -> str:
        """The polite refusal, with the nearest unit found when the refusal was a near miss (named,
        not quoted: it is a place to look, not an answer), then what the assistant can answer."""
        if foreign:
            lead = f"Xin lỗi, câu hỏi về “{foreign}” nằm ngoài phạm vi {self.documents_phrase}."
        else:
            lead = (f"Xin lỗi, tôi không tìm thấy nội dung này trong {self.documents_phrase}, "
                    "nên không thể trả lời chính xác.")
        if nearest:
            lead += f"\n\nNội dung gần nhất tìm thấy, có thể không trả lời đúng câu hỏi: {nearest}."
        return f"{lead}\n\n{self.suggestions}"
