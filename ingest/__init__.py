"""Ingest: reading sources into the index.

Owns the loaders for laws, Landtag and BA documents (structure recognition and
structure-aware chunking), the PDF line extractor, the catalogue and fetching, the pipeline
(``run_ingest``: parse into the chunk store, rebuild BM25, embed what is pending), the
background embedder, snapshots and the ``python -m ingest`` CLI. It writes through
``index.writer.IndexWriter`` and never reads from retrieval.

Public API::

    from ingest import run_ingest, corpus_sources, load_document, SourceInfo, BackgroundEmbedder
"""
from ingest.background import BackgroundEmbedder
from ingest.loaders import load_document
from ingest.loaders.base import SourceInfo
from ingest.pipeline import corpus_sources, run_ingest

__all__ = ["BackgroundEmbedder", "SourceInfo", "corpus_sources", "load_document", "run_ingest"]
