"""``POST /v1/ask``: the same JSON object as ``kgqa ask --json`` (``kgqa.qa.model.AskResult``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
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


def run_ask(request: Request, body: AskRequest) -> AskResult:
    """Answer like ``kgqa ask --json``: same pipeline, same LLM selection, same options."""
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
    from kgqa.qa.generate import llm_components
    from kgqa.qa.linking import given_entities

    spec = task_spec("cypher", settings, llm)[0]
    generator, synthesizer = llm_components(spec, settings)
    options = pipeline.AskOptions()
    if body.options.max_hops is not None:
        options.max_hops = body.options.max_hops
    key = (tuple(body.options.entities or ()), spec, options.max_hops)

    def work(graph: Any) -> AskResult:
        def compute() -> AskResult:
            linked = given_entities(body.options.entities, graph) if body.options.entities else None
            return pipeline.ask(
                body.question, graph, linked, generator=generator, synthesizer=synthesizer, options=options
            )

        return request.app.state.answers.get_or_compute(body.question, key, graph, compute)

    result = request.app.state.graphs.run(work)
    if not result.browser_query:
        result.browser_query = browser_query_for(result.subgraph)
    return result


@router.post(
    "/ask",
    response_model=AskResult,
    summary="Answer a question from the graph, with the Cypher, checks, subgraph and evidence",
    responses=responses(400, 401, 413, 422, 429, 503),
)
def ask(request: Request, body: AskRequest) -> Response:
    # The result is already a validated AskResult: serialise it with pydantic-core directly instead of
    # FastAPI's re-validation + jsonable_encoder (measured: the larger part of a cached answer's cost).
    return Response(run_ask(request, body).model_dump_json(), media_type="application/json")
