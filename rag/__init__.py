"""Question answering over Vietnamese regulations (by default Circular 10/2025/TT-BKHCN) with clause-level citations.

Importing `rag` loads nothing heavy; models and the index load on first use.
"""
__version__ = "0.1.0"
