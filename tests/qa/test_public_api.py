"""The public Python API on a real graph: build, ask, cypher — the same objects as the CLI prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgqa import KGQA
from kgqa.config import Settings
from kgqa.errors import QueryRejected


def test_build_ask_cypher(settings: Settings, tmp_path: Path) -> None:
    doc = tmp_path / "notes.txt"
    doc.write_text("Ilse Varga founded Quillmoor Instruments. Quillmoor Instruments is headquartered in Tarrow.\n")
    with KGQA(settings) as kg:
        report = kg.build([doc])
        assert report.documents["new"] == 1 or report.documents["changed"] == 1 or report.documents["unchanged"] == 1
        result = kg.ask("Who founded Quillmoor Instruments?")
        data = result.to_dict()
        assert data["status"] == "answered" and "Ilse Varga" in [a["name"] for a in data["answers"]]
        rows = kg.cypher(
            "MATCH (o:Organization {name: $n})-[:HEADQUARTERED_IN]->(c) RETURN c.name AS city",
            {"n": "Quillmoor Instruments"},
        )
        assert rows == [{"city": "Tarrow"}]
        with pytest.raises(QueryRejected, match="refused"):
            kg.cypher("MATCH (n) DETACH DELETE n")
        assert kg.cypher("MATCH (o:Organization {name: 'Quillmoor Instruments'}) RETURN count(o) AS c")[0]["c"] == 1
