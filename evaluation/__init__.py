"""Evaluation: citation accuracy on gold sets and SQuAD-style data, reports, comparisons.

Owns its own indexes (built through ``ingest.run_ingest`` in separate data folders), the
metrics, the tuning/check split, the report files and the ``python -m evaluation`` CLI
(including the feedback export). It asks questions through ``retrieval.Assistant`` only.

Programmatic API::

    from fundstelle import Settings
    from evaluation import run_gold, run_squad, metrics
    report = run_gold("../shared/eval/dev.jsonl", Settings(), retriever="hybrid", out="eval-out/dev-hybrid")
    metrics.recall_at_k([1, 3, None], 5)   # 0.666…

Command line: ``python -m evaluation gold|squad|compare --help``.
"""
from evaluation import metrics
from evaluation.gold import load_gold, run_gold
from evaluation.squad import load_squad, run_squad

__all__ = ["metrics", "run_gold", "run_squad", "load_gold", "load_squad"]
