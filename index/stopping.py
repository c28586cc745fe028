"""The signal that stops an embedding run (``IndexWriter.embed_pending``) on request.

A callback (``before_batch``) raises it to end the run between two model calls: a stop asked
for, not a failure, so no step logs it as one. Its own small module: the app's background
embedder subclasses it without importing the write path at startup."""


class EmbeddingStopped(Exception):
    """Raised by an ``embed_pending`` callback to stop the run."""
