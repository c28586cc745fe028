#!/usr/bin/env bash
# Start Fundstelle on the default corpus: install, ingest when the index is missing, run the app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
if ! .venv/bin/python -m ingest stats --json >/dev/null 2>&1; then
  echo "No index yet: ingesting the corpus (${FUNDSTELLE_CORPUS:-../shared/corpus}); this embeds every passage once."
  .venv/bin/python -m ingest || echo "Some documents failed (see above); starting with what was indexed."
fi
if [ -f app.py ]; then
  exec .venv/bin/streamlit run app.py --server.headless true --server.address "${FUNDSTELLE_HOST:-127.0.0.1}" \
       --server.port "${FUNDSTELLE_PORT:-8501}" --browser.gatherUsageStats false
else
  exec .venv/bin/python -m retrieval ask "Welche Ziele hat die NRW-Initiative zur Arbeitsmarktintegration gesetzt?"
fi
