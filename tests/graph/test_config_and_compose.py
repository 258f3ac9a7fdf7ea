"""Settings, `kgqa config`, and the production compose file's wiring."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from kgqa.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_settings_from_env_and_dotenv(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / ".env").write_text("KGQA_GRAPH_URI=bolt://db:7687\nKGQA_GRAPH_PASSWORD=s3cret\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KGQA_LLM", "openai:gpt-4o-mini")
    settings = Settings()
    assert settings.graph_uri == "bolt://db:7687" and not settings.embedded
    assert settings.llm == "openai:gpt-4o-mini"
    shown = settings.shown()
    assert shown["KGQA_GRAPH_PASSWORD"] == "********"
    assert "s3cret" not in json.dumps(shown)


def test_kgqa_config_json_masks_secrets(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KGQA_")}
    env.update(KGQA_HOME=str(tmp_path), KGQA_LLM_API_KEY="sk-very-secret", KGQA_GRAPH_PASSWORD="pw")
    result = subprocess.run(
        [sys.executable, "-m", "kgqa", "config", "--json"], env=env, capture_output=True, text=True, check=True
    )
    data = json.loads(result.stdout)
    assert data["KGQA_HOME"] == str(tmp_path)
    assert data["KGQA_LLM_API_KEY"] == "********" and data["KGQA_GRAPH_PASSWORD"] == "********"
    assert "sk-very-secret" not in result.stdout


def test_compose_wires_neo4j_and_api() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    neo4j, api = services["neo4j"], services["kgqa"]
    assert neo4j["image"].startswith("neo4j:5")
    ports = " ".join(neo4j["ports"])
    assert ":7474" in ports and ":7687" in ports
    assert "NEO4J_AUTH" in neo4j["environment"]
    assert any("heap" in k for k in neo4j["environment"])
    assert "healthcheck" in neo4j and "healthcheck" in api
    assert any(v.startswith("neo4j-data:") for v in neo4j["volumes"]) and "neo4j-data" in compose["volumes"]
    assert api["environment"]["KGQA_GRAPH_URI"] == "bolt://neo4j:7687"
    assert "${NEO4J_PASSWORD" in api["environment"]["KGQA_GRAPH_PASSWORD"]
    assert api["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert (ROOT / api["build"] / "Dockerfile").exists() if isinstance(api["build"], str) else True
    # the API binds 0.0.0.0 in the container, so API keys must be required
    assert "KGQA_API_KEYS" in api["environment"]
