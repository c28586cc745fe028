"""Read-only lookup tables unpacked once into SQLite (``.cache/models/``): a process that
answers questions then looks words up one at a time instead of loading a whole resource
into memory at start. Used for simplemma's dictionary and OpenThesaurus."""
from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Callable


def write_table_file(path: Path, fill: Callable[[sqlite3.Connection], None]) -> Path:
    """Create the SQLite file ``path`` with ``fill(connection)``: written to a temporary file
    beside it and moved into place, so two processes never see half a table."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=path.name + ".", dir=path.parent)
    os.close(handle)
    try:
        db = sqlite3.connect(staging)
        fill(db)
        db.commit()
        db.close()
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o666 & ~umask)   # mkstemp makes it private; it is a shared cache
        os.replace(staging, path)
    finally:
        if os.path.exists(staging):
            os.unlink(staging)
    return path


def open_read_only(path: Path) -> sqlite3.Connection:
    """A connection for lookups from any thread (callers hold their own lock)."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
