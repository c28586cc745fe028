"""Shared core of Fundstelle: settings, embedding models, logging."""
from fundstelle.settings import Settings, get_settings

__all__ = ["Settings", "get_settings"]
