"""Relation extraction: the ``Extractor`` interface and its implementations."""

from kgqa.build.extract.base import Extractor, get_extractor

__all__ = ["Extractor", "get_extractor"]
