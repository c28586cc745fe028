#!/usr/bin/env bash
# Start Fundstelle on the default corpus: install, ingest when the index is missing, run the app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/ensure-thesaurus.sh
rc=0
problem=$(.venv/bin/python -m ingest stats --json 2>&1 >/dev/null) || rc=$?
if [ "$rc" -ne 0 ] && [[ "$problem" == *"was built with embedding model"* ]]; then
  # An index exists but was built with another model: say so; the app shows the same advice.
  echo "$problem"
elif [ "$rc" -ne 0 ]; then
  # Seconds: read and chunk the corpus and build the keyword index. The app answers from it
  # at once and builds the semantic (dense) index in the background, most asked sources first.
  echo "No index yet: reading the corpus (${FUNDSTELLE_CORPUS:-../shared/corpus}); the semantic index is built in the background."
  .venv/bin/python -m ingest --no-embed || echo "Some documents failed (see above); starting with what was read."
fi
if [ -f app.py ]; then
  exec .venv/bin/streamlit run app.py --server.headless true --server.address "${FUNDSTELLE_HOST:-127.0.0.1}" \
       --server.port "${FUNDSTELLE_PORT:-8501}" --browser.gatherUsageStats false
else
  exec .venv/bin/python -m retrieval ask "Welche Ziele hat die NRW-Initiative zur Arbeitsmarktintegration gesetzt?"
fi
