"""The index layer: what ingest writes and retrieval reads.

Owns the chunk model (``index.chunk``), the chunk store (``index.store``), the Chroma side and
the write path (``index.chunk_index``) and the lexical index with its German text analysis
(``index.lexical``). Ingest depends on it for writing, retrieval for reading, and neither on
the other.
"""
