"""Relation extraction: the ``Extractor`` interface and its implementations."""

from kgqa.ingest.extract.base import Extractor, get_extractor

__all__ = ["Extractor", "get_extractor"]
