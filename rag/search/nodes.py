"""Units → llama-index `TextNode`s: one node per unit, split by token budget only when too long.

Why two texts: the node text (embedded and indexed) carries the breadcrumb, the body's short
name and abbreviation expansions, so "Trung tâm TĐC có nhiệm vụ gì" matches points that never
name the centre; the unit text (quoted) stays the verbatim corpus slice.
"""
from __future__ import annotations

import functools
import os

from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

from rag.documents.glossary import Glossary
from rag.documents.parse import Unit


@functools.lru_cache(maxsize=1)
def token_counter():
    """tiktoken o200k_base (read from the copy llama-index ships): within ~30% of XLM-R counts on Vietnamese."""
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        import llama_index.core

        os.environ["TIKTOKEN_CACHE_DIR"] = os.path.join(os.path.dirname(llama_index.core.__file__), "_static", "tiktoken_cache")
    import tiktoken

    return tiktoken.get_encoding("o200k_base")


def _head(unit: Unit, glossary: Glossary) -> str:
    """Breadcrumb, the body the unit belongs to, and its label: the context every node of it carries."""
    body = glossary.body_of(unit.doc_id, unit.article)
    head = f"{unit.breadcrumb}" + (f" ({body.short}; {body.name})" if body else "")
    label = f"{unit.label}. " if unit.article is not None else ""
    return f"{head}\n{label}"


def index_text(unit: Unit, glossary: Glossary) -> str:
    """What retrieval sees for a unit: breadcrumb, the body it belongs to, then its own text."""
    return glossary.expand(_head(unit, glossary) + unit.own_text)


# A unit longer than this reaches the sentence splitter in blocks cut at a line break or a space:
# nltk's sentence tokenizer inside it stops on one multi-megabyte string (a 30 MB text with no
# structure, one paragraph, made every build fail with a regex time-out).
SPLIT_BLOCK_CHARS = 50_000


def _blocks(text: str, size: int) -> list[str]:
    """`text` in consecutive pieces of at most `size` characters, cut at a line break or a space."""
    out, start = [], 0
    while len(text) - start > size:
        cut = max(text.rfind("\n", start, start + size), text.rfind(" ", start, start + size))
        cut = cut if cut > start else start + size
        out.append(text[start:cut])
        start = cut
    return [*out, text[start:]]


def index_texts(unit: Unit, glossary: Glossary, budget: int) -> list[str]:
    """`index_text`, or for a unit over `budget` tiktoken tokens its text in pieces, each under the
    unit's head. Why each: a piece without it ("Trung tâm TĐC được thực hiện cơ chế tự chủ…", or a
    bare list of abbreviation expansions) matched questions it has no context for."""
    from llama_index.core.node_parser import SentenceSplitter

    whole, enc = index_text(unit, glossary), token_counter()
    if len(enc.encode(whole)) <= budget:
        return [whole]
    head = _head(unit, glossary)
    room = max(budget - len(enc.encode(head)), budget // 2)
    splitter = SentenceSplitter(chunk_size=room, chunk_overlap=room // 8, tokenizer=enc.encode)
    return [glossary.expand(head + part) for block in _blocks(unit.own_text, SPLIT_BLOCK_CHARS)
            for part in splitter.split_text(block)]


def build_nodes(units: list[Unit], glossary: Glossary, token_budget: int) -> list[TextNode]:
    """One node per unit with text (several when over `token_budget` tiktoken tokens), linked parent/child."""
    nodes: list[TextNode] = []
    for u in units:
        if not u.own_text.strip():
            continue
        parts = index_texts(u, glossary, token_budget)
        for i, part in enumerate(parts):
            node = TextNode(
                id_=u.uid if len(parts) == 1 else f"{u.uid}~{i + 1}",
                text=part,
                metadata={"uid": u.uid, "doc_id": u.doc_id, "label": u.label, "part": i + 1, "parts": len(parts)},
                excluded_embed_metadata_keys=["uid", "doc_id", "label", "part", "parts"],
                excluded_llm_metadata_keys=["uid", "part", "parts"],
            )
            if u.parent:
                node.relationships[NodeRelationship.PARENT] = RelatedNodeInfo(node_id=u.parent)
            if u.children:
                node.relationships[NodeRelationship.CHILD] = [RelatedNodeInfo(node_id=c) for c in u.children]
            nodes.append(node)
    return nodes
