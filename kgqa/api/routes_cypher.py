"""``POST /v1/cypher``: run a checked, read-only, row-capped Cypher query (``KGQA_API_CYPHER=false`` turns it off)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from kgqa.api.errors import ApiError, responses
from kgqa.api.security import require_key
from kgqa.config import Settings
from kgqa.graph.client import QueryFailed, QueryTimedOut
from kgqa.qa.model import Check

router = APIRouter(prefix="/v1", tags=["graph"], dependencies=[Depends(require_key)])


class CypherRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cypher: str = Field(
        min_length=1, max_length=20_000, examples=["MATCH (p:Person)-[:WORKS_FOR]->(o) RETURN p.name, o.name"]
    )
    params: dict[str, Any] = Field(default_factory=dict, description="Query parameters ($name).")
    max_rows: int | None = Field(default=None, ge=1, le=10_000, description="Row cap (at most the server's).")


class CypherResponse(BaseModel):
    cypher: str = Field(description="The query that ran (after any automatic fixes by the checks).")
    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool
    elapsed_ms: float
    checks: list[Check]


def _as_checks(outcome: Any) -> list[Check]:
    checks = getattr(outcome, "checks", None) or []
    out = []
    for c in checks:
        out.append(c if isinstance(c, Check) else Check.model_validate(c, from_attributes=True))
    return out


@router.post(
    "/cypher",
    response_model=CypherResponse,
    summary="Run checked, read-only Cypher (row-capped)",
    responses=responses(400, 401, 403, 413, 422, 429, 503, 504),
)
def run_cypher(request: Request, body: CypherRequest) -> CypherResponse:
    settings: Settings = request.app.state.settings
    if not settings.api_cypher:
        raise ApiError(
            403,
            "cypher-disabled",
            "Cypher endpoint disabled",
            "POST /v1/cypher is turned off on this server",
            "the operator can enable it with KGQA_API_CYPHER=true",
        )
    from kgqa.qa import cypher_checks as checks_mod

    cap = min(body.max_rows or settings.api_cypher_max_rows, settings.api_cypher_max_rows)
    holder = request.app.state.graphs
    schema = holder.schema()

    def work(graph: Any) -> tuple[Any, Any]:
        return checks_mod.run_checked(
            graph, body.cypher, body.params, schema, limit=cap + 1, max_rows=cap, timeout=settings.query_timeout
        )

    try:
        outcome, result = holder.run(work)
    except QueryTimedOut:
        raise  # 504 problem (kgqa.api.errors), not a syntax error
    except QueryFailed as exc:
        raise ApiError(
            400,
            "cypher-failed",
            "Query failed",
            f"the graph server rejected the query: {exc.message}",
            exc.hint or "check the syntax and the labels/relationship types in GET /v1/schema",
        ) from exc
    checks = _as_checks(outcome)
    if result is None:
        failed = [c for c in checks if c.status == "failed"]
        detail = "; ".join(f"{c.name}: {c.detail}" for c in failed) or "the query did not pass the checks"
        raise ApiError(
            422,
            "query-rejected",
            "Query rejected",
            detail,
            "only read-only queries over the labels and relationship types in GET /v1/schema are allowed",
            errors=[c.model_dump() for c in checks],
        )
    rows = result.rows[:cap]
    return CypherResponse(
        cypher=getattr(outcome, "cypher", None) or body.cypher,
        columns=list(result.keys or (rows[0].keys() if rows else [])),
        rows=rows,
        truncated=bool(result.truncated or len(result.rows) > cap),
        elapsed_ms=round(result.elapsed_ms, 2),
        checks=checks,
    )
