"""Shared core of Fundstelle: settings (built once at the edge and passed down), embedding
models, logging, sentence splitting and small network helpers. Every other package may use
it; it uses none of them."""
from fundstelle.settings import MAX_K, Settings

__all__ = ["MAX_K", "Settings"]
