"""Entry point of the chat app: `python app.py` (same as `python -m rag serve`).

Environment: RAG_HOST / RAG_PORT are not settings of the product; use the CLI flags
(`python -m rag serve --host 0.0.0.0 --port 7860`) to change where it listens.
"""
import sys

from rag.app.webapp import PortUnavailable, serve

if __name__ == "__main__":
    try:
        serve()
    except PortUnavailable as e:
        sys.exit(f"Lỗi: {e}")
