"""Fixtures of the ingest tests: the default ontology and one offline extractor per module."""

from __future__ import annotations

import pytest

from kgqa.ingest.extract.offline import OfflineExtractor
from kgqa.ontology import load_ontology


@pytest.fixture(scope="module")
def ontology():
    return load_ontology()


@pytest.fixture(scope="module")
def extractor():
    return OfflineExtractor()
