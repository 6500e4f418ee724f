"""Browser latency: how soon the first words and the complete answer appear after Enter.

Usage: python benchmarks/browser.py [--questions 10]
Starts the app (extractive mode) on a free loopback port and drives Debian's chromium with
Playwright; prints p50/p95 of time to first words and to the complete answer.
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.load import QUESTIONS  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def main() -> None:
    from playwright.sync_api import sync_playwright

    from rag.settings import get_settings
    from rag.app.webapp import serve_in_background

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", type=int, default=10)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    settings = dataclasses.replace(get_settings(), answer_mode="extractive", feedback_db=tmp / "fb.sqlite3",
                                   log_file=tmp / "requests.log")
    url, _, _ = serve_in_background(settings)
    first, full = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
        page = browser.new_page()
        page.goto(url + "/", wait_until="domcontentloaded")
        box = page.locator('textarea[data-testid="textbox"]').first
        box.wait_for()
        for i in range(args.questions):
            bots = page.locator('div[data-testid="bot"]')
            before = bots.count()
            box.fill(QUESTIONS[i % len(QUESTIONS)])
            t0 = time.perf_counter()
            box.press("Enter")
            page.wait_for_function(f"""() => {{ const b = document.querySelectorAll('div[data-testid="bot"]');
                return b.length > {before} && b[b.length - 1].innerText.trim().length > 0; }}""", polling=20)
            first.append(time.perf_counter() - t0)
            page.wait_for_function("() => !document.querySelector('.message.bot.pending') && "
                                   "document.querySelectorAll('textarea[data-testid=\"textbox\"]')[0].value === ''"
                                   " && !document.querySelector('button.stop-button:not([style*=\"none\"])')",
                                   polling=20, timeout=30_000)
            full.append(time.perf_counter() - t0)
            page.wait_for_timeout(1100)  # the app accepts one question per second per session
        browser.close()
    q = lambda xs, p: sorted(xs)[min(len(xs) - 1, int(p * len(xs)))]  # noqa: E731
    print(f"{len(first)} questions in the browser (extractive): first words p50 {statistics.median(first):.2f} s, "
          f"p95 {q(first, .95):.2f} s; complete answer p50 {statistics.median(full):.2f} s, p95 {q(full, .95):.2f} s")


if __name__ == "__main__":
    main()
