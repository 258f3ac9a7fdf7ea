"""Settings from environment variables (prefix ``KGQA_``) and an optional ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every kgqa setting. Unset graph URI means: run the embedded graph server."""

    model_config = SettingsConfigDict(
        env_prefix="KGQA_", env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    home: Path = Field(default=Path(".kgqa"), description="Where kgqa keeps its data.")
    graph_uri: str | None = Field(default=None, description="Bolt URI; unset = embedded server.")
    graph_user: str = Field(default="neo4j", description="Graph user (embedded server: root).")
    graph_password: SecretStr | None = Field(default=None, description="Graph password.")
    graph_database: str | None = Field(default=None, description="Database name; unset = server default.")
    query_timeout: float = Field(
        default=30.0,
        gt=0,
        validation_alias=AliasChoices("KGQA_QUERY_TIMEOUT", "KGQA_GRAPH_QUERY_TIMEOUT"),
        description="Seconds a read may run before the graph server stops it (old name: KGQA_GRAPH_QUERY_TIMEOUT).",
    )
    query_cost_budget: float = Field(
        default=1_000_000,
        gt=0,
        description="Estimated rows (paths) a checked read may produce; costlier reads are refused with the reason.",
    )
    graph_max_rows: int = Field(default=1000, description="Row cap for read queries.")
    answer_cache_size: int = Field(default=1024, description="Answers kept in the in-process LRU cache (0: off).")
    answer_cache_ttl: float = Field(default=300.0, description="Seconds a cached answer may be served.")
    graph_batch_size: int = Field(default=1000, description="Rows per UNWIND write batch.")
    graph_retry_time: float = Field(default=15.0, description="Seconds the driver retries a failed transaction.")
    embedded_bolt_port: int | None = Field(default=None, description="Fixed Bolt port for the embedded server.")
    embedded_heap: str = Field(default="2g", description="Java heap for the embedded server.")
    embedded_idle_timeout: float = Field(
        default=900.0, description="Seconds without use before a server kgqa started stops itself (0: never)."
    )
    embedded_command_timeout: float = Field(
        default=600.0,
        ge=0,
        description="Server-side ceiling in seconds on any one command of the embedded server, for work whose "
        "client died before it could cancel it (0: none; read at server start).",
    )

    llm: str = Field(
        default="offline", description="LLM spec: offline | local[:MODEL] | openai:MODEL | transformers:PATH"
    )
    llm_extraction: str | None = Field(default=None, description="LLM spec for extraction (default: llm).")
    llm_cypher: str | None = Field(default=None, description="LLM spec for Cypher generation.")
    llm_answer: str | None = Field(default=None, description="LLM spec for answer synthesis.")
    llm_base_url: str | None = Field(default=None, description="OpenAI-compatible base URL.")
    llm_api_key: SecretStr | None = Field(default=None, description="API key for the LLM endpoint.")
    llm_timeout: float = Field(default=60.0, description="Seconds per LLM request.")
    llm_cache: bool = Field(default=True, description="Cache LLM responses on disk under home.")
    llm_max_retries: int = Field(default=3, description="Retries on 429/5xx/connection errors (backoff + jitter).")
    llm_concurrency: int = Field(default=4, description="Parallel LLM requests during extraction.")
    llm_max_tokens: int | None = Field(default=None, description="Max new tokens per LLM reply (default: per task).")
    llm_reasks: int = Field(default=2, description="Re-asks when an LLM reply is not valid JSON for the schema.")
    llm_prompts_dir: Path | None = Field(default=None, description="Directory with prompt files overriding built-ins.")
    llm_schema_budget: int = Field(default=1500, description="Token budget for the schema in Cypher prompts.")
    llm_price_prompt: float = Field(default=0.0, description="USD per 1M prompt tokens (for cost reports).")
    llm_price_completion: float = Field(default=0.0, description="USD per 1M completion tokens (for cost reports).")
    llm_threads: int | None = Field(default=None, description="Threads of the local model server (default cores-1).")
    llm_context: int | None = Field(default=None, description="Context size of the local model (default per model).")
    llm_device: str | None = Field(default=None, description="transformers provider device: cpu | cuda | auto.")

    api_keys: SecretStr | None = Field(default=None, description="Comma-separated API keys for kgqa serve.")
    api_host: str = Field(default="127.0.0.1", description="Address kgqa serve binds to.")
    api_port: int = Field(default=8000, description="Port kgqa serve listens on.")
    api_cors_origins: str | None = Field(default=None, description="Comma-separated origins allowed by CORS.")
    api_cypher: bool = Field(default=True, description="Enable POST /v1/cypher (checked, read-only).")
    api_cypher_max_rows: int = Field(default=500, description="Row cap for POST /v1/cypher.")
    api_rate_limit: float = Field(default=10.0, description="Requests per second per API key or client IP.")
    api_rate_burst: int = Field(default=30, description="Burst size of the per-client rate limit.")
    api_max_json_bytes: int = Field(default=1_000_000, description="Largest JSON request body (bytes).")
    api_max_upload_bytes: int = Field(default=20_000_000, description="Largest file upload (bytes).")
    api_body_timeout: float = Field(default=30.0, description="Seconds a client may take to send its body.")
    api_max_inflight: int = Field(default=32, description="Requests served at once before answering 503.")

    @property
    def graph_query_timeout(self) -> float:
        """The read timeout under its old name (``query_timeout``)."""
        return self.query_timeout

    @property
    def embedded(self) -> bool:
        """True when kgqa runs its own graph server."""
        return not self.graph_uri

    @property
    def graph_dir(self) -> Path:
        """Where the embedded graph server keeps its files."""
        return self.home / "graph"

    def shown(self) -> dict[str, Any]:
        """Settings as shown to users, secrets masked."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "********" if value.get_secret_value() else None
            elif isinstance(value, Path):
                value = str(value)
            out[f"KGQA_{name.upper()}"] = value
        return out


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
