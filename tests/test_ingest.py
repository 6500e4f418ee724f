"""Adding, listing and removing documents (`rag.documents.ingest`) and the `add`/`docs`/`remove` commands.

Every test works on a copy of data/ in a temporary folder; only the last one builds a real index.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rag.app.cli import main
from rag.documents.corpus import UNTITLED, document_infos, load_documents
from rag.documents.ingest import (LOCK_FILE, REMOVED_DIR, LastDocument, add_document, list_documents,
                                  remove_document)
from rag.documents.readers import UnreadableDocument
from rag.settings import get_settings

from sample_law import LAW_LINES, LAW_NUMBER  # noqa: E402
from shipped import DATA  # noqa: E402

DECREE_HTML = """<!doctype html><html><head><title>Nghị định 77/2025/NĐ-CP</title></head><body>
<nav><a href="/">Trang chủ</a> | <a href="/vb">Văn bản</a></nav>
<article>
<p>CHÍNH PHỦ</p><p>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</p>
<p>Số: 77/2025/NĐ-CP</p><p>Hà Nội, ngày 15 tháng 3 năm 2025</p>
<h1>NGHỊ ĐỊNH</h1><h2>QUY ĐỊNH VỀ PHÒNG THÍ NGHIỆM SỐ</h2>
<p>Căn cứ Luật Tổ chức Chính phủ;</p>
<p>Điều 1. Phạm vi điều chỉnh</p>
<p>Nghị định này quy định về tiêu chuẩn của phòng thí nghiệm số.</p>
<p>Điều 2. Tiêu chuẩn phòng thí nghiệm số</p>
<p>1. Có hạ tầng tính toán đáp ứng yêu cầu.</p>
<p>2. Có ít nhất ba nghiên cứu viên chuyên trách.</p>
<p>Điều 3. Hiệu lực thi hành</p>
<p>Nghị định này có hiệu lực thi hành kể từ ngày 01 tháng 5 năm 2025.</p>
</article>
<footer>Bản quyền thuộc về cổng thông tin</footer>
</body></html>"""

TXT_LAW = """Luật Mẫu về thư viện số
Điều 1. Phạm vi điều chỉnh
Luật này quy định về thư viện số.
Điều 2. Trách nhiệm của thư viện số
1. Lưu trữ tài liệu số.
2. Phục vụ bạn đọc trực tuyến.
"""

NEWS_TEXT = """Bản tin khoa học và công nghệ tháng ba
Trong tháng ba, Sở Khoa học và Công nghệ đã tổ chức nhiều hội thảo giới thiệu các mô hình chuyển đổi số cho doanh nghiệp nhỏ và vừa trên địa bàn tỉnh.
Các doanh nghiệp tham gia được hướng dẫn cách đăng ký hỗ trợ kinh phí đổi mới công nghệ và bảo hộ quyền sở hữu trí tuệ cho sản phẩm của mình.
"""


def write_docx(path: Path, lines: list[str]) -> Path:
    import docx

    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    document.save(str(path))
    return path


@pytest.fixture
def data(tmp_path) -> Path:
    """A copy of the shipped corpus folder."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


@pytest.fixture
def law_docx(tmp_path) -> Path:
    (tmp_path / "uploads").mkdir(exist_ok=True)
    return write_docx(tmp_path / "uploads" / "Luật thử nghiệm.docx", LAW_LINES)


def manifest(data: Path) -> dict:
    return json.loads((data / "manifest.json").read_text(encoding="utf-8"))


def entry(data: Path, doc_id: str) -> dict:
    return next(e for e in manifest(data)["documents"] if e["doc_id"] == doc_id)


def test_docx_law_gets_its_number_metadata_and_articles(data, law_docx):
    r = add_document(law_docx, data)
    assert r["doc_id"] == LAW_NUMBER and r["kind"] == "law" and r["articles"] == 4
    assert r["title"] == "Luật Thử nghiệm công nghệ số"
    assert r["warnings"] == [] and r["meta"]["number"] == LAW_NUMBER
    e = entry(data, LAW_NUMBER)
    assert e == {"doc_id": LAW_NUMBER, "file": "99-2024-qh15.txt", "kind": "law",
                 "title": "Luật Thử nghiệm công nghệ số", "issuer": "Quốc hội", "issued": None,
                 "effective": "2026-01-01", "replaces": None, "source": "Luật thử nghiệm.docx"}
    text = (data / e["file"]).read_text(encoding="utf-8")
    assert "a) Có phương án thử nghiệm" in text and "Điều 3. Thời hạn" in text
    listed = {d["doc_id"]: d for d in list_documents(data)}
    assert listed[LAW_NUMBER]["units"] == r["units"] and listed[LAW_NUMBER]["effective"] == "2026-01-01"
    assert listed["10/2025/TT-BKHCN"]["articles"] > 0 and len(listed) == 6
    other_keys = {k: v for k, v in manifest(data).items() if k != "documents"}
    assert other_keys == {k: v for k, v in json.loads((DATA / "manifest.json").read_text()).items()
                          if k != "documents"}


def test_html_decree_and_txt_law_without_number(data, tmp_path):
    html = tmp_path / "nd77.html"
    html.write_text(DECREE_HTML, encoding="utf-8")
    r = add_document(html, data)
    assert (r["doc_id"], r["kind"], r["articles"]) == ("77/2025/NĐ-CP", "decree", 3)
    e = entry(data, "77/2025/NĐ-CP")
    assert e["issuer"] == "Chính phủ" and e["issued"] == "2025-03-15" and e["effective"] == "2025-05-01"
    assert e["file"] == "77-2025-nd-cp.txt" and "Trang chủ" not in (data / e["file"]).read_text(encoding="utf-8")

    txt = tmp_path / "Luật mẫu thư viện.txt"
    txt.write_text(TXT_LAW, encoding="utf-8")
    r = add_document(txt, data)
    assert r["doc_id"] == "luat-mau-thu-vien" and r["kind"] == "law" and r["articles"] == 2
    assert r["title"] == "Luật Mẫu về thư viện số"
    assert any("tên tệp" in w for w in r["warnings"])  # the doc_id is not the text's own


def test_flags_override_what_the_text_says(data, law_docx):
    r = add_document(law_docx, data, doc_id="LTN", title="Luật thử nghiệm (bản dự thảo)", kind="Other")
    e = entry(data, "LTN")
    assert (e["kind"], e["title"], e["file"]) == ("other", "Luật thử nghiệm (bản dự thảo)", "ltn.txt")
    assert r["articles"] == 4 and r["meta"]["number"] == LAW_NUMBER


def test_add_then_remove_leaves_the_manifest_as_it_was(data, law_docx):
    before_bytes = (data / "manifest.json").read_bytes()
    outside = (LOCK_FILE, REMOVED_DIR)  # a copy may hold the lock file already
    before_files = sorted(p.name for p in data.iterdir() if p.name not in outside)
    add_document(law_docx, data)
    added = (data / "99-2024-qh15.txt").read_bytes()
    removed = remove_document(LAW_NUMBER, data)
    assert removed["file"] == "99-2024-qh15.txt" and removed["warnings"] == []
    assert json.loads((data / "manifest.json").read_bytes()) == json.loads(before_bytes)
    assert (data / "manifest.json").read_bytes() == before_bytes  # same formatting too
    assert sorted(p.name for p in data.iterdir() if p.name not in outside) == before_files  # the lock file stays
    assert [p.read_bytes() for p in (data / REMOVED_DIR).glob("*-99-2024-qh15.txt")] == [added]  # kept, not lost


def test_a_removal_whose_text_cannot_be_kept_aside_still_removes_and_loses_nothing(data, law_docx, monkeypatch):
    import rag.documents.ingest as ingest

    add_document(law_docx, data)

    def full_disk(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ingest, "_keep", full_disk)
    assert remove_document(LAW_NUMBER, data)["doc_id"] == LAW_NUMBER
    assert LAW_NUMBER not in [e["doc_id"] for e in manifest(data)["documents"]]
    assert (data / "99-2024-qh15.txt").is_file()  # left where it was, unlisted


def test_remove_unknown_document_is_a_clear_key_error(data):
    with pytest.raises(KeyError, match="Không có văn bản nào có mã"):
        remove_document("1/2000/QH10", data)


@pytest.mark.parametrize("doc_id", ["../../tmp/evil", "a//b", "/12/2026", "12\\2026", "12/2026\x00"])
def test_a_doc_id_that_cannot_travel_in_a_url_is_refused(data, law_docx, doc_id):
    """"../../tmp/evil" was added, but the admin page could not delete it: browsers resolve "..")."""
    before = (data / "manifest.json").read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="không hợp lệ"):
        add_document(law_docx, data, doc_id=doc_id)
    assert (data / "manifest.json").read_text(encoding="utf-8") == before


def test_a_folder_given_as_a_file_is_named_as_a_folder(data, tmp_path):
    folder = tmp_path / "odd files"
    folder.mkdir()
    with pytest.raises(ValueError, match="là một thư mục"):
        add_document(folder, data)
    with pytest.raises(ValueError, match="Không tìm thấy tệp"):
        add_document(folder / "absent.docx", data)


def test_document_without_articles_is_refused_for_a_law(data, tmp_path):
    before = (data / "manifest.json").read_bytes()
    news = tmp_path / "ban-tin.txt"
    news.write_text(NEWS_TEXT, encoding="utf-8")
    with pytest.raises(ValueError, match="không tìm thấy điều nào"):
        add_document(news, data, kind="law")
    assert (data / "manifest.json").read_bytes() == before and not (data / "ban-tin.txt").exists()


def test_document_without_articles_is_added_as_paragraphs_for_kind_other(data, tmp_path):
    news = tmp_path / "ban-tin.txt"
    news.write_text(NEWS_TEXT, encoding="utf-8")
    r = add_document(news, data, kind="other")
    # its heading line, not the title it was given (none), and both paragraphs; shown as a document, not as news
    assert r["articles"] == 0 and r["units"] == r["paragraphs"] == 3 and r["kind"] == "other"
    assert any("đoạn văn" in w for w in r["warnings"])
    listed = {d["doc_id"]: d for d in list_documents(data)}
    assert listed["ban-tin"]["units"] == 3 and listed["ban-tin"]["effective"] is None


NIGHT_MARKET = """QUYẾT ĐỊNH
Số: 77/2025/QĐ-UBND
Quy định về quản lý chợ đêm trên địa bàn tỉnh thử nghiệm
Điều 1. Phạm vi điều chỉnh
Quyết định này quy định về việc quản lý hoạt động của chợ đêm, bao gồm thời gian hoạt động và an ninh trật tự.
Điều 2. Thời gian hoạt động
Chợ đêm hoạt động từ 18 giờ đến 23 giờ hằng ngày.
"""


def test_the_title_comes_from_the_text_never_from_the_file_name(data, tmp_path):
    txt = tmp_path / "quyết định chợ đêm.txt"
    txt.write_text(NIGHT_MARKET, encoding="utf-8")
    assert add_document(txt, data)["title"] == "Quyết định Quy định về quản lý chợ đêm trên địa bàn tỉnh thử nghiệm"

    page = tmp_path / "page.html"
    body = "".join(f"<p>{line}</p>" for line in NIGHT_MARKET.splitlines()[3:])
    page.write_text(f"<html><body><h1>Quy định về quản lý chợ đêm</h1>{body}</body></html>", encoding="utf-8")
    r = add_document(page, data, doc_id="cho-dem")
    assert r["title"] == entry(data, "cho-dem")["title"] == "Quy định về quản lý chợ đêm"

    untitled = tmp_path / "pwned.txt"  # a text that states no title: the uploader's file name is not one
    untitled.write_text(NEWS_TEXT.split("\n", 1)[1], encoding="utf-8")
    r = add_document(untitled, data, kind="other")
    assert r["title"] is None and entry(data, "pwned")["title"] is None
    assert any("không ghi tiêu đề" in w for w in r["warnings"])
    assert {d["doc_id"]: d["title"] for d in list_documents(data)}["pwned"] == UNTITLED
    assert document_infos(data)["pwned"].name == UNTITLED


def test_the_last_document_cannot_be_removed(law_docx, tmp_path, monkeypatch, capsys):
    single = tmp_path / "single"
    add_document(law_docx, single)
    before = sorted((p.name, p.read_bytes()) for p in single.iterdir() if p.name != LOCK_FILE)
    with pytest.raises(LastDocument, match="Không thể xóa văn bản cuối cùng"):
        remove_document(LAW_NUMBER, single)

    monkeypatch.setenv("RAG_DATA_DIR", str(single))
    get_settings.cache_clear()
    assert main(["remove", LAW_NUMBER, "--no-build"]) == 1
    assert capsys.readouterr().err.startswith("Lỗi: Không thể xóa văn bản cuối cùng: kho văn bản phải còn ít nhất")
    assert sorted((p.name, p.read_bytes()) for p in single.iterdir() if p.name != LOCK_FILE) == before


def test_an_empty_corpus_is_refused_before_building(tmp_path, monkeypatch, capsys):
    empty = tmp_path / "data"
    empty.mkdir()
    (empty / "manifest.json").write_text('{"documents": []}\n', encoding="utf-8")
    monkeypatch.setenv("RAG_DATA_DIR", str(empty))
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "index"))
    get_settings.cache_clear()
    with pytest.raises(ValueError, match="Kho văn bản không có văn bản nào"):
        load_documents(empty)
    assert list_documents(empty) == []  # listing an empty corpus is not an error

    assert main(["build", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Lỗi: Kho văn bản không có văn bản nào") and "Warning" not in err
    assert not (tmp_path / "index" / "current").exists()


def test_a_folder_without_a_manifest_is_told_how_to_start_in_vietnamese(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "trong"))
    (tmp_path / "trong").mkdir()
    get_settings.cache_clear()
    assert main(["build", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Lỗi: Thư mục văn bản “trong” chưa có danh mục manifest.json") and "python -m rag add" in err
    assert str(tmp_path) not in err


def test_cli_add_refuses_a_file_over_the_size_limit_and_writes_nothing(capsys, cli_data, tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_MAX_UPLOAD_MB", "1")
    get_settings.cache_clear()
    before = sorted((p.name, p.read_bytes()) for p in cli_data.iterdir() if p.name != LOCK_FILE)
    big = tmp_path / "lon.txt"
    big.write_text("Điều 1. Phạm vi\n" + "chữ " * 300_000, encoding="utf-8")
    assert main(["add", str(big), "--no-build"]) == 1
    assert capsys.readouterr().err.startswith("Lỗi: Tệp lon.txt quá lớn: tối đa 1 MB")
    assert sorted((p.name, p.read_bytes()) for p in cli_data.iterdir() if p.name != LOCK_FILE) == before


def test_an_unexpected_failure_is_one_line_without_a_traceback(capsys, cli_data, monkeypatch):
    def crash(*args, **kwargs):
        raise TimeoutError("regular-expression match exceeded its time limit in /secret/path")

    monkeypatch.setattr("rag.search.index.build_index", crash)
    assert main(["build", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err == "Lỗi không mong đợi (TimeoutError); chạy lại với -v để xem chi tiết.\n"


def test_unreadable_file_raises_a_vietnamese_message(data, tmp_path):
    bad = tmp_path / "cu.doc"
    bad.write_bytes(b"\xd0\xcf\x11\xe0 old word file")
    with pytest.raises(UnreadableDocument, match="định dạng không được hỗ trợ"):
        add_document(bad, data)


def test_same_doc_id_is_refused_unless_told_to_replace_and_then_replaces_rather_than_duplicates(data, law_docx, tmp_path):
    """Any file stating the number of a loaded document had silently replaced it (a made-up "Số:
    10/2025/TT-BKHCN" took Thông tư 10's place): replacing is now asked for."""
    add_document(law_docx, data)
    count = len(manifest(data)["documents"])
    position = [e["doc_id"] for e in manifest(data)["documents"]].index(LAW_NUMBER)
    longer = write_docx(tmp_path / "luat-sua.docx", LAW_LINES + ["Điều 5. Tổ chức thực hiện",
                                                                 "Chính phủ quy định chi tiết Luật này."])
    before = (data / "manifest.json").read_bytes(), (data / "99-2024-qh15.txt").read_bytes()
    with pytest.raises(ValueError, match=f"Văn bản {LAW_NUMBER} đã có trong kho .*--replace"):
        add_document(longer, data)
    assert ((data / "manifest.json").read_bytes(), (data / "99-2024-qh15.txt").read_bytes()) == before
    r = add_document(longer, data, replace=True)
    docs = manifest(data)["documents"]
    assert len(docs) == count and [e["doc_id"] for e in docs].count(LAW_NUMBER) == 1
    assert [e["doc_id"] for e in docs].index(LAW_NUMBER) == position
    assert r["articles"] == 5 and entry(data, LAW_NUMBER)["source"] == "luat-sua.docx"
    assert any("thay thế" in w for w in r["warnings"])
    assert "Điều 5." in (data / "99-2024-qh15.txt").read_text(encoding="utf-8")
    kept = [p.read_text(encoding="utf-8") for p in (data / REMOVED_DIR).glob("*-99-2024-qh15.txt")]
    assert len(kept) == 1 and "Điều 4." in kept[0] and "Điều 5." not in kept[0]  # the replaced text stays


def test_a_second_copy_or_a_second_document_with_the_same_number_is_added_with_a_warning(data, law_docx):
    """Two documents with one text or one number were cited side by side, indistinguishable."""
    assert add_document(law_docx, data)["warnings"] == []
    copy = add_document(law_docx, data, doc_id="ban-sao")
    assert any(f"{LAW_NUMBER} trong kho có cùng nội dung" in w for w in copy["warnings"])
    text = (data / entry(data, LAW_NUMBER)["file"]).read_text(encoding="utf-8")
    draft = law_docx.with_name("du-thao.txt")
    draft.write_text(text.replace("Điều 4.", "Điều 4. (dự thảo)"), encoding="utf-8")
    other = add_document(draft, data, doc_id="du-thao")
    assert any(f"cùng số hiệu {LAW_NUMBER}" in w for w in other["warnings"])
    assert not any("cùng nội dung" in w for w in other["warnings"])


def test_an_overlong_text_or_doc_id_is_refused_in_vietnamese_and_nothing_is_written(data, tmp_path, law_docx):
    from rag.documents.ingest import MAX_DOC_ID_CHARS, MAX_TEXT_CHARS

    before = (data / "manifest.json").read_text(encoding="utf-8")
    huge = tmp_path / "mot-doan.txt"
    huge.write_text("Điều khoản kiểm định cân điện tử chợ đêm. " * (MAX_TEXT_CHARS // 40), encoding="utf-8")
    with pytest.raises(ValueError, match="văn bản quá dài"):
        add_document(huge, data, kind="other")
    with pytest.raises(ValueError, match="Mã văn bản quá dài"):
        add_document(law_docx, data, doc_id="x" * (MAX_DOC_ID_CHARS + 1))
    assert (data / "manifest.json").read_text(encoding="utf-8") == before


@pytest.mark.parametrize("text, message", [
    ("Điều 1. Phạm vi\n" + "Nội dung rất dài về kiểm định phương tiện đo " * 500, "đoạn văn dài"),  # 22,500 characters
    ("Điều 1. Phạm vi\n" + "a" * 1500 + "\nĐiều 2. Hiệu lực thi hành", "liền nhau"),
])
def test_a_line_or_word_no_document_has_is_refused_before_it_reaches_the_index(data, tmp_path, text, message):
    """One 1.8 M-character line had held an index build for many minutes (embedded in 512-token pieces)."""
    before = (data / "manifest.json").read_text(encoding="utf-8")
    path = tmp_path / "mot-dong.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        add_document(path, data, kind="other")
    assert (data / "manifest.json").read_text(encoding="utf-8") == before


def test_a_title_or_kind_the_chat_cannot_show_is_refused(data, law_docx):
    before = (data / "manifest.json").read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="Tiêu đề quá dài"):
        add_document(law_docx, data, title="Luật " * 200)
    for kind in ("<script>", "luật", "a" * 31):
        with pytest.raises(ValueError, match="Loại văn bản .* không hợp lệ"):
            add_document(law_docx, data, kind=kind)
    assert (data / "manifest.json").read_text(encoding="utf-8") == before
    assert add_document(law_docx, data, kind="ke-hoach")["kind"] == "ke-hoach"


def test_file_names_never_collide(data, tmp_path):
    (data / "abc.txt").write_text("not in the manifest", encoding="utf-8")
    src = tmp_path / "x.txt"
    src.write_text(TXT_LAW, encoding="utf-8")
    r = add_document(src, data, doc_id="ABC")
    assert r["file"] == "abc-2.txt" and (data / "abc.txt").read_text(encoding="utf-8") == "not in the manifest"


# --- the commands ---------------------------------------------------------------------------

@pytest.fixture
def cli_data(data, monkeypatch) -> Path:
    monkeypatch.setenv("RAG_DATA_DIR", str(data))
    get_settings.cache_clear()
    return data


def test_cli_add_docs_remove(capsys, cli_data, law_docx):
    assert main(["add", str(law_docx), "--no-build"]) == 0
    out = capsys.readouterr().out
    assert f"Đã thêm {LAW_NUMBER} (law): 4 điều" in out and "--no-build" in out

    assert main(["docs", "--json"]) == 0
    docs = {d["doc_id"]: d for d in json.loads(capsys.readouterr().out)}
    assert docs[LAW_NUMBER]["kind"] == "law" and docs[LAW_NUMBER]["effective"] == "2026-01-01"

    assert main(["docs"]) == 0
    table = capsys.readouterr().out
    assert LAW_NUMBER in table and "—" in table and "6 văn bản" in table

    assert main(["remove", LAW_NUMBER, "--no-build"]) == 0
    assert f"Đã xóa {LAW_NUMBER}" in capsys.readouterr().out
    assert main(["docs", "--json"]) == 0
    assert LAW_NUMBER not in {d["doc_id"] for d in json.loads(capsys.readouterr().out)}


def test_cli_errors(capsys, cli_data, law_docx, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["add", str(law_docx), str(law_docx), "--doc-id", "X", "--no-build"])
    assert exc.value.code == 2 and "--doc-id" in capsys.readouterr().err

    assert main(["remove", "1/2000/QH10", "--no-build"]) == 1
    assert capsys.readouterr().err.startswith("Lỗi: Không có văn bản nào có mã “1/2000/QH10”")

    bad = tmp_path / "cu.doc"
    bad.write_bytes(b"\xd0\xcf\x11\xe0")
    assert main(["add", str(bad), str(law_docx), "--no-build"]) == 1  # the good file is still added
    captured = capsys.readouterr()
    assert captured.err.startswith("Lỗi: Tệp cu.doc") and f"Đã thêm {LAW_NUMBER}" in captured.out


@pytest.mark.model
def test_added_law_is_indexed_and_cited(capsys, cli_data, law_docx, tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "index"))
    get_settings.cache_clear()
    assert main(["add", str(law_docx)]) == 0
    assert "Đã xây dựng lại chỉ mục" in capsys.readouterr().out
    question = "Thời hạn thử nghiệm có kiểm soát sản phẩm công nghệ số tối đa là bao lâu?"
    assert main(["ask", question, "--json", "--mode", "extractive"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert not answer["abstained"], answer["answer"]
    first = answer["citations"][0]
    assert first["doc_id"] == LAW_NUMBER and first["label"].startswith("Điều 3")
    assert "- Điều 3. Thời hạn thử nghiệm có kiểm soát: “" in answer["answer"]  # a law has no bodies: its article heads the quote

    assert main(["ask", "Thời hạn thử nghiệm được gia hạn mấy lần?", "--json", "--mode", "extractive"]) == 0
    first = json.loads(capsys.readouterr().out)["citations"][0]
    assert first["label"] == "Điều 3, khoản 2"  # "quy định tại khoản 1 Điều này": khoản 1 comes with it, verbatim
    assert first["refs"] == [{"label": "Điều 3, khoản 1", "quote": LAW_LINES[LAW_LINES.index("Điều 3. Thời hạn thử nghiệm có kiểm soát") + 1]}]

    # both documents have a Điều 3: each one's is quoted, in the order they were loaded, and the answer says so
    assert main(["ask", "Điều 3 quy định gì?", "--json", "--mode", "extractive"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert [(c["doc_id"], c["label"]) for c in answer["citations"]] == [("10/2025/TT-BKHCN", "Điều 3"), (LAW_NUMBER, "Điều 3")]
    assert answer["answer"].startswith("Lưu ý: 2 văn bản có Điều 3 (Thông tư 10/2025/TT-BKHCN; ") and answer["caution"]


def _add_many(corpus: str, first: int, count: int) -> None:
    """One writer process: add `count` small laws numbered from `first`."""
    for n in range(first, first + count):
        src = Path(corpus).parent / f"law-{n}.txt"
        src.write_text("\n".join(line.replace(LAW_NUMBER, f"{n}/2024/QH15") for line in LAW_LINES), encoding="utf-8")
        add_document(src, Path(corpus))


def test_concurrent_writers_lose_no_document(data):
    """Two admins (or the admin page and `python -m rag add`) edit the same corpus at once: every
    acknowledged add must be in the manifest afterwards (read-change-write of one file)."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    writers = [ctx.Process(target=_add_many, args=(str(data), 100 + 10 * i, 8)) for i in range(4)]
    for w in writers:
        w.start()
    for w in writers:
        w.join(120)
    assert [w.exitcode for w in writers] == [0, 0, 0, 0]
    listed = {e["doc_id"] for e in manifest(data)["documents"]}
    assert {f"{100 + 10 * i + k}/2024/QH15" for i in range(4) for k in range(8)} <= listed


def test_a_document_with_nothing_to_search_says_the_rule_its_kind_was_read_by(data, tmp_path):
    headings = tmp_path / "de-muc.txt"
    headings.write_text("KẾ HOẠCH\nI. MỤC ĐÍCH\nII. NỘI DUNG\n", encoding="utf-8")
    with pytest.raises(ValueError, match="ít nhất 4 từ và không phải tiêu đề viết hoa"):
        add_document(headings, data, kind="other")
    with pytest.raises(ValueError, match="ít nhất 15 từ"):
        add_document(headings, data, kind="news")
