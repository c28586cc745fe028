"""Ingest: loaders for laws, Landtag and BA documents, structure-aware chunking, incremental indexing.

Public API::

    from ingest import run_ingest, ChunkIndex, load_document
"""
from index.chunk_index import ChunkIndex, EmbeddingMismatchError
from ingest.loaders import load_document
from ingest.pipeline import run_ingest

__all__ = ["ChunkIndex", "EmbeddingMismatchError", "load_document", "run_ingest"]
