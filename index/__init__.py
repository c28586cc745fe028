"""The index layer: what ingest writes and retrieval reads.

Owns the chunk model (``index.chunk``), the chunk store (``index.store``), the German text
analysis (``index.german``: tokenizer, stemmer, folding, stop words, compound splitter), the
lexical BM25 index (``index.lexical``) and the Chroma side, with one narrow read API that
retrieval uses (``index.chunk_index.ChunkIndex``: chunks by id, metadata, the lexical index,
dense queries, dense progress, content versions) and one write path that ingest uses
(``index.writer.IndexWriter``: put or remove documents, rebuild BM25, embed what is
pending). Ingest depends on it for writing, retrieval for reading, and neither on the other.
"""
