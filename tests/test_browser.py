"""A real browser (Debian's chromium driven by Playwright) against the live app: type a question,
watch the answer stream in, click a citation, read the clause, screenshot desktop and phone."""
import dataclasses
import shutil
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.model]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it with apt)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.mark.parametrize("width, height, name", [(1280, 900, "desktop"), (390, 844, "phone")])
def test_ask_stream_click_citation_and_screenshot(browser, live_app, width, height, name):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(live_app[0] + "/", wait_until="domcontentloaded")
    box = page.locator('textarea[data-testid="textbox"]').first
    box.wait_for(timeout=30_000)
    bottom = box.bounding_box()["y"] + box.bounding_box()["height"]
    assert bottom <= height, f"the question box is below the first screen ({bottom:.0f} > {height})"
    box.fill("Đơn vị nào phụ trách mã số mã vạch?")
    t0 = time.perf_counter()
    box.press("Enter")
    bot = page.locator('div[data-testid="bot"]').last
    bot.wait_for(state="visible", timeout=30_000)
    page.locator("a.cite").first.wait_for(timeout=30_000)
    elapsed = time.perf_counter() - t0
    assert "Trung tâm TĐC" in bot.inner_text()
    page.locator("a.cite").first.click()
    source = page.locator("details[open]").first
    source.wait_for(timeout=5_000)
    assert "Điều 7" in source.inner_text() and "mã số, mã vạch" in source.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"chat-{name}.png"), full_page=True)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width + 1, f"horizontal scrolling at {width}px"
    assert elapsed < 30
    page.close()


def test_the_question_box_stops_at_the_question_limit(browser, live_app):
    """A pasted megabyte had reached the server's 413 and shown Gradio's bare English "Error"."""
    limit = live_app[1].settings.max_question_chars
    page = browser.new_page()
    page.goto(live_app[0] + "/", wait_until="domcontentloaded")
    box = page.locator('textarea[data-testid="textbox"]').first
    box.wait_for(timeout=30_000)
    box.click()
    page.keyboard.insert_text("ă" * (limit + 500))  # as a paste arrives
    assert len(box.input_value()) == limit
    page.close()


def test_an_example_runs_on_click_in_the_mode_chosen_and_no_english_footer(browser, built_index, tmp_path):
    """The examples had carried a mode column: a click set the mode back to the default and only
    filled the box. Gradio's English footer ("Use via API · Built with Gradio") is not shown. The
    LLM server is unreachable here, so the mode chosen answers at once, saying so."""
    from rag.app.webapp import serve_in_background

    settings = dataclasses.replace(built_index, llm_base_url="http://127.0.0.1:9/v1", feedback_db=tmp_path / "fb.db",
                                   log_file=tmp_path / "requests.log", index_reload_seconds=0)
    url, _, server = serve_in_background(settings)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url + "/", wait_until="domcontentloaded")
        page.locator('textarea[data-testid="textbox"]').first.wait_for(timeout=30_000)
        page.get_by_text("Chế độ trả lời").first.click()  # folded under the chat
        llm = page.get_by_role("radio", name="Mô hình ngôn ngữ")
        llm.check()
        example = page.locator("button.example").first
        question = example.inner_text().strip()
        example.click()
        bot = page.locator('div[data-testid="bot"]').last
        bot.wait_for(state="visible", timeout=30_000)
        assert question in page.locator('div[data-testid="user"]').last.inner_text()
        page.get_by_text("Chế độ mô hình ngôn ngữ không dùng được").first.wait_for(timeout=30_000)  # asked in that mode
        assert llm.is_checked()
        assert "Built with Gradio" not in page.content() and "Use via API" not in page.inner_text("body")
        page.close()
    finally:
        server.should_exit = True


def test_the_tab_title_follows_the_documents_loaded_at_each_page_load(browser, live_app, monkeypatch):
    """The tab kept the title the app started with: after an admin's upload turned "Trợ lý tra cứu
    Thông tư …" into "… văn bản pháp luật", the page's heading changed and the tab did not."""
    service = live_app[1]
    changed = dataclasses.replace(service.assistant.scope, title="Trợ lý tra cứu văn bản pháp luật")
    monkeypatch.setattr(service.assistant, "scope", changed)  # what a swapped-in index with more documents gives
    page = browser.new_page()
    page.goto(live_app[0] + "/", wait_until="domcontentloaded")
    page.wait_for_function("document.title === 'Trợ lý tra cứu văn bản pháp luật'", timeout=30_000)
    assert "Trợ lý tra cứu văn bản pháp luật" in page.locator("h1").first.inner_text()
    page.close()
