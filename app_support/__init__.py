"""Everything behind ``app.py`` (the Streamlit app), split so the parts that do not need
Streamlit can be tested and reused on their own:

* ``i18n``      – interface texts in German (default) and English;
* ``safe_markdown`` – document and user text as inert Markdown (no links, images, HTML);
* ``citations`` – German citation forms, kind badges, "Original öffnen" links;
* ``render``    – the answer as Markdown with markers linking to its source cards;
* ``share``     – the settings of a question as URL query parameters and back;
* ``export``    – answers as Markdown and DOCX with a numbered German source list;
* ``originals`` – a small read-only file route to the source documents on this machine;
* ``question_box`` – the question input (a small component) that loses no question sent;
* ``feedback``  – thumbs up/down with reasons in SQLite, exported as JSONL;
* ``ui``        – the Streamlit page itself.
"""
