"""Validation of user questions, shared by the CLI, the answer API and the chat app.

Why one place: the same bad input (empty, too long, binary junk) must get the same short,
friendly Vietnamese message everywhere, never a traceback.

Example:
    >>> clean_question("  Đơn vị nào phụ trách mã số mã vạch?\\x00 ")
    'Đơn vị nào phụ trách mã số mã vạch?'
    >>> clean_question("   ")
    Traceback (most recent call last):
    rag.query.question.BadQuestion: Câu hỏi đang trống. Vui lòng nhập câu hỏi.
"""
from __future__ import annotations

import unicodedata

MAX_QUESTION_CHARS = 2000


class BadQuestion(ValueError):
    """The input is not a usable question; the message is meant for the user (Vietnamese)."""


def clean_question(text: object, max_chars: int = MAX_QUESTION_CHARS) -> str:
    """The question with control characters removed and whitespace collapsed, or `BadQuestion`."""
    if not isinstance(text, str):
        raise BadQuestion("Câu hỏi phải là một đoạn văn bản.")
    if len(text) > max_chars:
        raise BadQuestion(f"Câu hỏi quá dài ({len(text)} ký tự). Vui lòng rút gọn dưới {max_chars} ký tự.")
    kept = [c for c in text if unicodedata.category(c)[0] != "C" or c in "\n\t"]
    junk = len(text) - len(kept) + text.count("\ufffd")
    cleaned = " ".join("".join(kept).replace("\ufffd", "").split())
    if not cleaned:
        raise BadQuestion("Câu hỏi đang trống. Vui lòng nhập câu hỏi.")
    letters = sum(c.isalpha() for c in cleaned)
    if junk > len(text) // 4:
        raise BadQuestion("Không đọc được câu hỏi (có ký tự lạ). Vui lòng nhập lại bằng chữ.")
    if letters < max(1, len(cleaned) // 4):  # "12", "???": nothing odd in it, only no words (it had said "ký tự lạ")
        raise BadQuestion("Câu hỏi chưa có chữ nào để tìm. Vui lòng hỏi bằng lời, ví dụ: “Điều 12 quy định gì?”")
    return cleaned
