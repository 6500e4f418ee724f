"""References inside a document resolve to its units; other documents' articles never do."""
from pathlib import Path

import pytest

from rag.documents.corpus import Document, load_documents
from rag.documents.parse import parse_document

TEXT = """LUẬT THỬ NGHIỆM
Điều 1. Phạm vi
1. Luật này quy định việc thử.
2. Trừ trường hợp quy định tại khoản 1 Điều này và điểm a, b khoản 2 Điều 2 của Luật này.
Điều 2. Điều kiện
1. Người đáp ứng các điều kiện tại Điều 1 thì được thử; khoản 3 Điều 5 của Luật Đất đai không áp dụng.
2. Điều kiện gồm:
a) Có đơn theo quy định tại điểm b khoản này;
b) Có giấy tờ theo Điều 3 Nghị định số 55/2025/NĐ-CP;
c) Các trường hợp tại các khoản 1 đến 2 Điều 1 và khoản 9 Điều 1.
Điều 3. Sửa đổi, bổ sung một số điều của Luật Đất đai
1. Sửa đổi khoản 1 Điều 2 như sau: nội dung mới; giữ nguyên khoản 2 Điều 2 của Luật này.
"""


@pytest.fixture(scope="module")
def units():
    return {u.label: u for u in parse_document(Document("1/2099/QH99", "x.txt", "law", "Luật Thử nghiệm", TEXT))}


@pytest.mark.parametrize("label, expected", [
    ("Điều 1, khoản 2", ["Điều 1, khoản 1", "Điều 2, khoản 2, điểm a", "Điều 2, khoản 2, điểm b"]),
    ("Điều 2, khoản 1", ["Điều 1"]),  # the other law's "khoản 3 Điều 5" stays unresolved
    ("Điều 2, khoản 2, điểm a", ["Điều 2, khoản 2, điểm b"]),  # "khoản này" is its own clause
    ("Điều 2, khoản 2, điểm b", []),  # an article of a decree
    ("Điều 2, khoản 2, điểm c", ["Điều 1, khoản 1", "Điều 1, khoản 2"]),  # a range; khoản 9 does not exist
    ("Điều 3, khoản 1", ["Điều 2, khoản 2"]),  # an amending article: bare numbers are the amended law's
])
def test_references_resolve_inside_the_document(units, label, expected):
    assert [r.split("#", 1)[1] for r in units[label].refs] == expected


def test_a_unit_never_refers_to_itself_or_what_contains_it(units):
    assert units["Điều 1"].refs == []  # its heading "Điều 1. Phạm vi" and "Luật này" name no unit


LAWS = Path(__file__).resolve().parents[2] / "shared" / "laws"


@pytest.mark.skipif(not LAWS.exists(), reason="needs ../shared/laws")
def test_references_in_the_laws_point_at_existing_units_of_the_same_law():
    docs = [d for d in load_documents(LAWS) if d.doc_id.startswith(("52/2014", "91/2015"))]
    units = [u for d in docs for u in parse_document(d)]
    uids = {u.uid: u for u in units}
    with_refs = [u for u in units if u.refs]
    assert len(with_refs) > 200
    assert all(r in uids and uids[r].doc_id == u.doc_id for u in with_refs for r in u.refs)
