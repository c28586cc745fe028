"""Fundstelle in the browser: `streamlit run app.py` (or `make run`).

Ask a question about the indexed sources; read the answer with markers; open every source
card with its highlighted sentence and a link to the original. The page lives in
``app_support.ui``; this file stays a thin entry point.
"""
from fundstelle.logs import setup_logging
from fundstelle.settings import Settings

from app_support.ui import main

_settings = Settings()
setup_logging(_settings.log_path, _settings.log_level)
main(_settings)
