#!/usr/bin/env bash
# Reproduce the README "Results" table: the gold dev set and the GermanQuAD test split, each
# with the hybrid, dense and BM25 retrievers, extractive answers, and the project's own fresh
# check sets (evaluation/fresh/, hybrid; README "Fresh questions", "Twenty-first session",
# "Twenty-third session", "Twenty-seventh session" and "Thirty-seventh session"). Reports go to eval-out/
# (one folder per run, see report.md there); the comparison tables are printed at the end
# and written to eval-out/results.md.
#
# Environment: EVAL_OUT (default eval-out), EVAL_MODE (extractive | llm, default extractive),
# EVAL_SQUAD_LIMIT (ask only N GermanQuAD questions, for a quick check), SHARED (default ../shared),
# and the usual FUNDSTELLE_* settings.
set -uo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
bash scripts/ensure-thesaurus.sh
SHARED=${SHARED:-../shared}
GOLD="$SHARED/eval/dev.jsonl"
SQUAD="$SHARED/eval/external/germanquad_test.json"
OUT=${EVAL_OUT:-eval-out}
MODE=${EVAL_MODE:-extractive}
RETRIEVERS=(hybrid dense bm25)
LIMIT_ARGS=()
if [ -n "${EVAL_SQUAD_LIMIT:-}" ]; then LIMIT_ARGS=(--limit "$EVAL_SQUAD_LIMIT"); fi

for file in "$GOLD" "$SQUAD"; do
  if [ ! -f "$file" ]; then echo "missing $file (set SHARED to the folder holding eval/)" >&2; exit 2; fi
done

status=0
gold_reports=()
squad_reports=()
for retriever in "${RETRIEVERS[@]}"; do
  echo "== gold $(basename "$GOLD"), $retriever"
  "$PY" -m evaluation gold "$GOLD" --retriever "$retriever" --mode "$MODE" --out "$OUT/dev-$retriever"
  rc=$?; [ $rc -eq 0 ] || status=$rc
  gold_reports+=("$OUT/dev-$retriever/report.json")
done
for retriever in "${RETRIEVERS[@]}"; do
  echo "== squad $(basename "$SQUAD"), $retriever"
  "$PY" -m evaluation squad "$SQUAD" --retriever "$retriever" --mode "$MODE" --out "$OUT/germanquad-$retriever" \
    "${LIMIT_ARGS[@]}"
  rc=$?; [ $rc -eq 0 ] || status=$rc
  squad_reports+=("$OUT/germanquad-$retriever/report.json")
done

# The project's own check sets, hybrid only: "name|file|what it is" (the name is the report's folder,
# eval-out/NAME-hybrid/, and the heading of its table in results.md).
FRESH_SETS=(
  "fresh|evaluation/fresh/fresh-2026-12-03.jsonl|a check set: nothing is chosen on it"
  "fresh2|evaluation/fresh/fresh-2026-12-04.jsonl|questions on units drawn by kind; with the dev tuning half the wider tuning set"
  "fresh3|evaluation/fresh/fresh-2026-12-05.jsonl|questions on units that have training questions; its tuning half is part of the wider tuning set"
  "definitions|evaluation/fresh/definitions-2026-12-04.jsonl|definitional questions for names and titles the laws give"
  "everyday|evaluation/fresh/everyday-2026-12-06.jsonl|short everyday questions; its tuning half chose the thirty-ninth session's unknown-term changes"
  "everyday2|evaluation/fresh/everyday2-2026-12-06.jsonl|short everyday questions, 15 of them not in the sources; the same"
)
for entry in "${FRESH_SETS[@]}"; do
  IFS='|' read -r name file _ <<< "$entry"
  echo "== gold $(basename "$file"), hybrid"
  "$PY" -m evaluation gold "$file" --retriever hybrid --mode "$MODE" --out "$OUT/$name-hybrid"
  rc=$?; [ $rc -eq 0 ] || status=$rc
done

existing() { for f in "$@"; do [ -f "$f" ] && echo "$f"; done; }
mapfile -t gold_done < <(existing "${gold_reports[@]}")
mapfile -t squad_done < <(existing "${squad_reports[@]}")
{
  echo "## $(basename "$GOLD") ($MODE)"; echo
  [ ${#gold_done[@]} -gt 0 ] && "$PY" -m evaluation compare "${gold_done[@]}" --markdown; echo
  echo "## $(basename "$SQUAD") ($MODE)"; echo
  [ ${#squad_done[@]} -gt 0 ] && "$PY" -m evaluation compare "${squad_done[@]}" --markdown; echo
  for entry in "${FRESH_SETS[@]}"; do
    IFS='|' read -r name file about <<< "$entry"
    echo "## $(basename "$file") ($MODE, $about)"; echo
    [ -f "$OUT/$name-hybrid/report.json" ] && "$PY" -m evaluation compare "$OUT/$name-hybrid/report.json" --markdown
    echo
  done
} > "$OUT/results.md"
[ ${#gold_done[@]} -gt 0 ] && "$PY" -m evaluation compare "${gold_done[@]}"
[ ${#squad_done[@]} -gt 0 ] && "$PY" -m evaluation compare "${squad_done[@]}"
echo "Markdown tables: $OUT/results.md"
exit $status
