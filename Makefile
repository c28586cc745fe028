.PHONY: run test install ingest eval bench

install:
	bash scripts/bootstrap.sh

run:
	bash scripts/start.sh

test:
	bash scripts/test.sh

ingest: install
	.venv/bin/python -m ingest

bench: install
	.venv/bin/python bench/ingest.py

eval: install
	bash scripts/eval.sh
