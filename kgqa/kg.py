"""The public Python API: ``from kgqa import KGQA``.

    kg = KGQA()                                  # settings from KGQA_* variables and .env, or keyword arguments
    kg.build(["docs/"])                          # the same pipeline as `kgqa build`; returns its report
    r = kg.ask("Who founded Calder Logistics?")  # the same object as `kgqa ask --json` (r.to_dict())
    rows = kg.cypher("MATCH (p:Person) RETURN p.name AS name LIMIT 5")   # checked, read-only
    kg.close()                                   # or use it as a context manager

One graph connection per instance (the embedded server starts when first needed); generators and synthesizers
are built once per LLM spec and reused, so repeated ``ask`` calls pay no model loading.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kgqa.config import Settings
from kgqa.errors import QueryRejected


class KGQA:
    """A knowledge graph to build and ask questions of."""

    def __init__(
        self, settings: Settings | None = None, *, notify: Callable[[str], None] | None = None, **overrides: Any
    ) -> None:
        """``overrides`` are Settings fields, e.g. ``KGQA(home="/data/kg", llm="local")``; ``notify`` hears
        progress messages such as "starting the embedded graph server"."""
        base = settings or Settings()
        self.settings = base.model_copy(update=overrides) if overrides else base
        self.notify = notify
        self._graph: Any = None
        self._components: dict[str, tuple[Any, Any]] = {}
        from kgqa.qa.answer_cache import AnswerCache

        self.answers = AnswerCache(self.settings.answer_cache_size, self.settings.answer_cache_ttl)

    @property
    def graph(self) -> Any:
        """The graph connection (opened, and the embedded server started, on first use)."""
        if self._graph is None:
            from kgqa.graph.client import Graph

            self._graph = Graph.connect(self.settings, notify=self.notify)
        return self._graph

    def build(self, paths: list[str | Path] | str | Path, **options: Any) -> Any:
        """Build or update the graph from files/folders; ``options`` are BuildOptions fields (include, ...)."""
        from kgqa.ingest.pipeline import BuildOptions, run_build
        from kgqa.qa.pipeline import invalidate_caches

        items = [paths] if isinstance(paths, str | Path) else list(paths)
        report = run_build(self.graph, items, BuildOptions(**options), self.settings)
        invalidate_caches(self.graph)
        self.answers.clear()
        return report

    def ask(self, question: str, *, entities: list[str] | None = None, llm: str | None = None, max_hops: int = 4):
        """Answer ``question`` from the graph; the result has ``answer``, ``answers``, ``cypher``, ``checks``..."""
        from kgqa.llm.factory import task_spec
        from kgqa.qa.linking import given_entities
        from kgqa.qa.pipeline import AskOptions, ask

        spec = task_spec("cypher", self.settings, llm)[0]
        generator, synthesizer = self._components_for(spec)
        graph = self.graph

        def compute():
            linked = given_entities(entities, graph) if entities else None
            options = AskOptions(max_hops=max_hops)
            return ask(question, graph, linked, generator=generator, synthesizer=synthesizer, options=options)

        key = (tuple(entities or ()), spec, max_hops)
        return self.answers.get_or_compute(question, key, graph, compute)

    def cypher(self, query: str, params: dict[str, Any] | None = None, *, limit: int = 100) -> list[dict[str, Any]]:
        """Run a read-only query after the same checks as `kgqa cypher run`; raises QueryRejected if refused."""
        from kgqa.graph.schema import introspect
        from kgqa.qa.cypher_checks import run_checked

        outcome, result = run_checked(self.graph, query, params or {}, introspect(self.graph), limit=limit)
        if result is None:
            failed = [f"{c.name}: {c.detail}" for c in outcome.checks if c.status == "failed"]
            raise QueryRejected("the query was refused: " + "; ".join(failed), "see kgqa cypher check QUERY")
        return result.rows

    def close(self) -> None:
        if self._graph is not None:
            self._graph.close()
            self._graph = None

    def __enter__(self) -> KGQA:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _components_for(self, spec: str) -> tuple[Any, Any]:
        from kgqa.qa.components import llm_components

        if spec not in self._components:
            self._components[spec] = llm_components(spec, self.settings)
        return self._components[spec]
