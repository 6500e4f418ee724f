"""Flood: 8 sessions send LLM-mode questions as fast as they can while a 9th asks extractive ones; prints the
latter's latency. Run against `python -m rag serve --port 7871` started with RAG_ADDRESS_QUESTIONS_PER_MINUTE=0
and RAG_SESSION_QUESTIONS_PER_MINUTE=0 (the queues are measured, not the limits)."""
import statistics, threading, time
from gradio_client import Client
URL = "http://127.0.0.1:7871/"
stop = time.monotonic() + 75
def flood(k):
    c = Client(URL, verbose=False)
    while time.monotonic() < stop:
        try: c.predict(f"Sở có nhiệm vụ gì về bưu chính? ({k})", "llm", api_name="/respond")
        except Exception: pass
threads = [threading.Thread(target=flood, args=(k,), daemon=True) for k in range(8)]
for t in threads: t.start()
time.sleep(10)
c = Client(URL, verbose=False); lat = []
qs = ["Đơn vị nào phụ trách mã số mã vạch?", "Ai quản lý các điểm phục vụ bưu chính ở xã?", "Trung tâm TĐC có nhiệm vụ gì?"]
for i in range(20):
    t0 = time.perf_counter(); c.predict(qs[i % 3], "extractive", api_name="/respond"); lat.append(time.perf_counter() - t0)
lat.sort()
print(f"limits: per-address off, per-session off; 8 LLM sessions flooding; extractive from a 9th: p50 {statistics.median(lat):.2f} s, p95 {lat[int(0.95*len(lat))-1]:.2f} s, max {lat[-1]:.2f} s (n={len(lat)})")
