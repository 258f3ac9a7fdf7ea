"""``POST /v1/ask``: the same JSON object as ``kgqa ask --json`` (``kgqa.qa.model.AskResult``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from kgqa.api.browser import browser_query_for
from kgqa.api.errors import ApiError, responses
from kgqa.api.security import require_key
from kgqa.config import Settings
from kgqa.qa.model import AskResult

router = APIRouter(prefix="/v1", tags=["ask"], dependencies=[Depends(require_key)])


class AskOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entities: list[str] | None = Field(
        default=None,
        max_length=20,
        description="Entity ids to use instead of linking them from the question, e.g. person:ada-lovelace.",
    )
    llm: str | None = Field(
        default=None,
        max_length=200,
        description="LLM spec for this question: `offline` or one of the specs the server is configured with.",
    )
    max_hops: int | None = Field(default=None, ge=1, le=6, description="Longest path the Cypher may follow.")


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(
        min_length=1, max_length=1000, pattern=r"\S", examples=["Where is the company Ada Lovelace works for?"]
    )
    options: AskOptions = Field(default_factory=AskOptions)


def allowed_llms(settings: Settings) -> set[str]:
    """A client may pick ``offline`` or an LLM the operator configured, never an arbitrary model or path."""
    specs = {"offline", settings.llm, settings.llm_cypher, settings.llm_answer, settings.llm_extraction}
    return {s for s in specs if s}


def _selection(request: Request, body: AskRequest) -> tuple[str, Any, tuple]:
    """The LLM spec, the pipeline options and the answer-cache key of this request (422 on a foreign LLM)."""
    settings: Settings = request.app.state.settings
    llm = body.options.llm
    if llm is not None and llm not in allowed_llms(settings):
        raise ApiError(
            422,
            "llm-not-allowed",
            "LLM not allowed",
            f"options.llm {llm!r} is not one of the LLMs this server is configured with",
            "use one of: " + ", ".join(sorted(allowed_llms(settings))),
        )
    from kgqa.llm.factory import task_spec
    from kgqa.qa import pipeline

    spec = task_spec("cypher", settings, llm)[0]
    options = pipeline.AskOptions()
    if body.options.max_hops is not None:
        options.max_hops = body.options.max_hops
    return spec, options, (tuple(body.options.entities or ()), spec, options.max_hops)


def cached_answer(request: Request, body: AskRequest) -> AskResult | None:
    """The answer from the cache when it is there and needs no graph read (safe on the event loop)."""
    graph = request.app.state.graphs.current()
    if graph is None:
        return None
    return request.app.state.answers.peek(body.question, _selection(request, body)[2], graph)


def run_ask(request: Request, body: AskRequest) -> AskResult:
    """Answer like ``kgqa ask --json``: same pipeline, same LLM selection, same options."""
    from kgqa.qa import pipeline
    from kgqa.qa.components import llm_components
    from kgqa.qa.linking import given_entities

    settings: Settings = request.app.state.settings
    spec, options, key = _selection(request, body)

    def work(graph: Any) -> AskResult:
        def compute() -> AskResult:
            generator, synthesizer = llm_components(spec, settings)
            linked = given_entities(body.options.entities, graph) if body.options.entities else None
            result = pipeline.ask(
                body.question, graph, linked, generator=generator, synthesizer=synthesizer, options=options
            )
            if not result.browser_query:
                result.browser_query = browser_query_for(result.subgraph)
            return result

        return request.app.state.answers.get_or_compute(body.question, key, graph, compute)

    return request.app.state.graphs.run(work)


@router.post(
    "/ask",
    response_model=AskResult,
    summary="Answer a question from the graph, with the Cypher, checks, subgraph and evidence",
    responses=responses(400, 401, 413, 422, 429, 503),
)
async def ask(request: Request, body: AskRequest) -> Response:
    # A cached answer is served on the event loop; anything that reads the graph runs in the thread pool.
    # The result is already a validated AskResult: serialise it with pydantic-core directly instead of
    # FastAPI's re-validation + jsonable_encoder (measured: the larger part of a cached answer's cost).
    result = cached_answer(request, body) or await run_in_threadpool(run_ask, request, body)
    return Response(result.model_dump_json(), media_type="application/json")
