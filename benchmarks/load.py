"""Load test: N concurrent gradio_client sessions × M questions against the app on loopback.

Usage: python benchmarks/load.py [--sessions 20] [--questions 10] [--url http://127.0.0.1:7860]
Without --url it starts the app itself on a free loopback port (extractive mode). Bounded in
count and time (--timeout seconds overall); prints p50/p95 latency, errors and feedback rows.
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUESTIONS = [
    "Đơn vị nào phụ trách mã số mã vạch?", "Tôi muốn kiểm định cân điện tử thì liên hệ ở đâu?",
    "Phòng Văn hóa - Xã hội cấp xã có nhiệm vụ gì về chuyển đổi số?", "don vi nao phu trach ma so ma vach",
    "Trung tâm CĐS có nhiệm vụ gì?", "Điều 4 khoản 13 quy định gì?", "Thủ tục đăng ký kết hôn?",
    "Ai quản lý các điểm phục vụ bưu chính ở xã?", "Thông tư có hiệu lực từ ngày nào?", "Sở KH&CN làm gì về SHTT?",
]


def start_app() -> tuple[str, object]:
    from rag.settings import get_settings
    from rag.app.webapp import serve_in_background

    tmp = Path(tempfile.mkdtemp())
    # Every simulated user comes from 127.0.0.1: the per-address limits are off for this run (the
    # per-session ones stay), so what is measured is the queue, not the limiter.
    settings = dataclasses.replace(get_settings(), answer_mode="extractive", feedback_db=tmp / "fb.sqlite3",
                                   log_file=tmp / "requests.log", address_questions_per_minute=0, feedback_per_minute=0)
    print(f"limits: per session {settings.session_questions_per_minute}/min (burst {settings.session_question_burst}); "
          "per address off; feedback off")
    url, service, _ = serve_in_background(settings)
    return url + "/", service


def session(url: str, k: int, n: int, deadline: float) -> tuple[list[float], int, int]:
    from gradio_client import Client

    client = Client(url, verbose=False)
    lat, errors, comments = [], 0, 0
    for i in range(n):
        if time.monotonic() > deadline:
            break
        time.sleep(1.05)  # one question per second per session, as the app allows
        t = time.perf_counter()
        try:
            out = client.predict(QUESTIONS[(k + i) % len(QUESTIONS)], "extractive", api_name="/respond")
            lat.append(time.perf_counter() - t)
            if "Xin lỗi, đã có lỗi" in out or "quá nhanh" in out:
                errors += 1
            status, _ = client.predict(f"góp ý {k}-{i}", api_name="/comment")
            comments += status.startswith("Đã lưu")
        except Exception:  # noqa: BLE001 - counted, reported
            errors += 1
    return lat, errors, comments


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--questions", type=int, default=10)
    ap.add_argument("--url", default=None, help="an app already running (default: start one here)")
    ap.add_argument("--timeout", type=float, default=600, help="overall time limit in seconds")
    args = ap.parse_args()
    service = None
    if args.url:
        url = args.url
    else:
        t0 = time.perf_counter()
        url, service = start_app()
        print(f"app start with an existing index: {time.perf_counter() - t0:.1f} s")
    deadline = time.monotonic() + args.timeout
    lat, errors, comments = [], 0, 0
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.sessions) as pool:
        futures = [pool.submit(session, url, k, args.questions, deadline) for k in range(args.sessions)]
        for f in as_completed(futures):
            la, er, co = f.result()
            lat += la
            errors += er
            comments += co
    wall = time.perf_counter() - t0
    lat.sort()
    print(f"{args.sessions} sessions × {args.questions} questions: {len(lat)} answered in {wall:.0f} s, errors {errors}")
    if lat:
        print(f"latency per question: p50 {statistics.median(lat):.2f} s, p95 {lat[int(0.95 * (len(lat) - 1))]:.2f} s")
    if service is not None:
        rows = len(service.feedback.rows())
        print(f"feedback rows stored: {rows} of {comments} acknowledged ({'none lost' if rows == comments else 'LOST ROWS'})")


if __name__ == "__main__":
    main()
