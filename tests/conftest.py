"""Test fixtures: one real graph server per test session.

By default an embedded ArcadeDB server in a temporary KGQA_HOME. Set KGQA_TEST_GRAPH_URI
(+ KGQA_TEST_GRAPH_USER / KGQA_TEST_GRAPH_PASSWORD / KGQA_TEST_GRAPH_DATABASE) to run the same
suite against a real Neo4j instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kgqa.config import Settings
from kgqa.graph.client import Graph
from kgqa.graph.schema import ensure_constraints

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def kgqa_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kgqa-home")


@pytest.fixture(scope="session")
def settings(kgqa_home: Path) -> Settings:
    """Settings pointing at the test graph (embedded in a temp home, or KGQA_TEST_GRAPH_URI)."""
    uri = os.environ.get("KGQA_TEST_GRAPH_URI")
    values: dict = {"home": kgqa_home, "llm": "offline", "llm_cache": False}
    if uri:
        values.update(
            graph_uri=uri,
            graph_user=os.environ.get("KGQA_TEST_GRAPH_USER", "neo4j"),
            graph_password=os.environ.get("KGQA_TEST_GRAPH_PASSWORD", ""),
            graph_database=os.environ.get("KGQA_TEST_GRAPH_DATABASE") or None,
        )
    return Settings(_env_file=None, **values)


@pytest.fixture(scope="session")
def graph_env(settings: Settings) -> dict[str, str]:
    """Environment variables that make a `kgqa` subprocess use the test graph."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KGQA_")}
    env["KGQA_HOME"] = str(settings.home)
    if settings.graph_uri:
        env["KGQA_GRAPH_URI"] = settings.graph_uri
        env["KGQA_GRAPH_USER"] = settings.graph_user
        env["KGQA_GRAPH_PASSWORD"] = settings.graph_password.get_secret_value() if settings.graph_password else ""
        if settings.graph_database:
            env["KGQA_GRAPH_DATABASE"] = settings.graph_database
    return env


@pytest.fixture(scope="session")
def session_graph(settings: Settings) -> Iterator[Graph]:
    """The session's graph connection; the embedded server is stopped at the end."""
    graph = Graph.connect(settings)
    ensure_constraints(graph)
    yield graph
    graph.close()
    if settings.embedded:
        from kgqa.graph.embedded import server_for

        server_for(settings).stop()


@pytest.fixture()
def graph(session_graph: Graph) -> Graph:
    """An empty graph for one test."""
    session_graph.clear()
    return session_graph
