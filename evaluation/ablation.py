"""Retrieval ablation: each lever of the legal-aware search turned off in turn (``python -m evaluation ablation``).

Retrieval only (no answer is composed), so a row costs one search per question: evidence
recall@1/@5/@10 and MRR@10 on the gold set's tuning and check halves, and paragraph recall@1
and MRR@10 on a SQuAD-style file (GermanQuAD) when given. The question vectors are embedded once
and shared by all rows.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from evaluation import metrics
from evaluation.gold import load_gold
from evaluation.indexes import corpus_index, paragraph_index
from evaluation.split import HALVES, half_of
from fundstelle.settings import Settings


@dataclass(frozen=True)
class Row:
    name: str
    weights: Any
    adapter: bool = False   # question vectors through the corpus-trained query adapter
    finetuned: bool = False  # question vectors from the query encoder fine-tuned on the corpus


def levers(default) -> list[Row]:
    """All levers on, each one off, and all off (the plain hybrid search)."""
    return [Row("all levers on (default)", default),
            Row("– query expansion (lemmas, synonyms)", replace(default, expansion=0.0)),
            Row("– context field (norm title, definitions, Weisung headings)", replace(default, context=0.0)),
            Row("– norm route score", replace(default, norm=0.0)),
            Row("– norm route candidates", replace(default, norm_top=0)),
            Row("– graph (Rz. ↔ Absatz)", replace(default, graph=0.0)),
            Row("– word bridge (questions in other languages)", replace(default, bridge_top=0)),
            Row("– definition route (the unit defining, naming or titled by the asked term)", replace(default, definition=False)),
            Row("– contextual dense vectors (the unit read with its context field)", replace(default, context_vector=0.0)),
            Row("– sentence vectors (a German question of several sentences, each embedded too)",
                replace(default, sentence_vector=0.0)),
            Row("– query adapter (the search with the tuned question vector ranks the places)", replace(default, adapter=False)),
            Row("– the keyword side at half its share in the tuned search (full share)",
                replace(default, tuned_lexical=1.0)),
            Row("all levers off", replace(default, expansion=0.0, context=0.0, norm=0.0, norm_top=0, graph=0.0,
                                          bridge_top=0, definition=False, context_vector=0.0, sentence_vector=0.0,
                                          adapter=False))]


def _gold_ranks(searcher, items, vectors, weights, k: int, transform=None) -> list[tuple[str, int | None]]:
    out = []
    for item in items:
        vector = vectors[item["id"]] if transform is None else transform(vectors[item["id"]])
        result = searcher.search(item["question"], k=k, weights=weights, query_vector=vector)
        out.append((half_of(item["id"]), metrics.evidence_rank([h.chunk.text for h in result.hits], item["evidence"])))
    return out


def run_ablation(gold_path: Path, settings: Settings, squad_path: Path | None = None, squad_limit: int | None = None,
                 k: int = 10, adapter: bool = False, finetune: bool = False) -> list[dict[str, Any]]:
    """One dict per lever row: the figures of both dev halves (and GermanQuAD). ``adapter``
    adds a row with the linear query adapter trained on the corpus (``evaluation.query_adapter``),
    ``finetune`` one with the query encoder fine-tuned on the same pairs (``evaluation.query_finetune``)."""
    from retrieval.search import HybridSearcher, RetrievalWeights

    items = [item for item in load_gold(gold_path) if item["answerable"]]
    index_settings, _ = corpus_index(settings, progress=False)
    searcher = HybridSearcher(index_settings)
    embedder = searcher.index.embedder
    vectors = {item["id"]: np.asarray(embedder.embed_query(item["question"]), dtype=np.float32) for item in items}
    squad = None
    if squad_path is not None:
        from evaluation.squad import load_squad, passage_paragraph, spread

        data = load_squad(squad_path)
        questions = [q for q in spread(data.questions, squad_limit) if not q.impossible]
        squad_searcher = HybridSearcher(paragraph_index(settings, data.paragraphs, progress=False))
        squad_vectors = [np.asarray(squad_searcher.index.embedder.embed_query(q.question), dtype=np.float32)
                         for q in questions]
        squad = (questions, squad_searcher, squad_vectors, passage_paragraph)
    rows = []
    plan = levers(RetrievalWeights())
    transform = None
    if adapter:
        from evaluation.query_adapter import train_for_index
        from index.query_adapter import adapt

        matrix, info = train_for_index(searcher.index)
        transform = lambda vector: adapt(matrix, vector)  # noqa: E731
        plan.insert(1, Row(f"+ linear query adapter on structural pairs ({sum(info['pairs'].values())} corpus pairs, "
                           f"fit {info['fit_s']:.0f} s), replacing the question vector",
                           RetrievalWeights(adapter=False), adapter=True))
    tuned_vectors: dict[str, np.ndarray] = {}
    tuned_squad: list[np.ndarray] = []
    if finetune:
        from evaluation.query_finetune import finetune_query_encoder
        from fundstelle.embeddings import e5_export_folder

        encode, info = finetune_query_encoder(searcher.index, e5_export_folder(settings.models_dir))
        tuned_vectors = dict(zip([item["id"] for item in items], encode([item["question"] for item in items])))
        if squad is not None:
            tuned_squad = list(encode([q.question for q in squad[0]]))
        plan.insert(1, Row(f"+ query encoder fine-tuned ({sum(info['pairs'].values())} corpus pairs, one epoch, "
                           f"{info['train_s']:.0f} s)", RetrievalWeights(adapter=False), finetuned=True))
    for row in plan:
        row_transform = transform if row.adapter else None
        ranks = _gold_ranks(searcher, items, tuned_vectors if row.finetuned else vectors, row.weights, k, row_transform)
        figures: dict[str, Any] = {"lever": row.name}
        for half in HALVES:
            part = [r for h, r in ranks if h == half]
            figures[f"{half} R@1"] = metrics.recall_at_k(part, 1)
            figures[f"{half} R@5"] = metrics.recall_at_k(part, 5)
            figures[f"{half} MRR"] = metrics.mrr_at_k(part, 10)
        if squad is not None:
            questions, squad_searcher, squad_vectors, paragraph_of_passage = squad
            squad_ranks = []
            for question, vector in zip(questions, tuned_squad if row.finetuned else squad_vectors):
                if row_transform is not None:
                    vector = row_transform(vector)
                hits = squad_searcher.search(question.question, k=k, weights=row.weights, query_vector=vector).hits
                squad_ranks.append(metrics.first_relevant_rank([paragraph_of_passage(h.chunk) for h in hits],
                                                               {question.pid}))
            figures["GermanQuAD R@1"] = metrics.recall_at_k(squad_ranks, 1)
            figures["GermanQuAD MRR"] = metrics.mrr_at_k(squad_ranks, 10)
        rows.append(figures)
    return rows


def markdown(rows: Sequence[dict[str, Any]]) -> str:
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(v if isinstance(v, str) else ("–" if v is None else f"{v:.3f}")
                                       for v in row.values()) + " |")
    return "\n".join(lines)
