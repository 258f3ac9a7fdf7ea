"""``kgqa serve``: the REST API and the explorer page (FastAPI on uvicorn)."""

from __future__ import annotations

import ipaddress
import logging
import socket
from typing import Any

import typer

from kgqa.cli.output import err
from kgqa.config import get_settings
from kgqa.errors import ConfigError


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost; every other address is reachable from elsewhere."""
    if host.strip().lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def check_bind(host: str, has_keys: bool) -> None:
    """Refuse to serve a non-loopback address without API keys."""
    if not is_loopback(host) and not has_keys:
        raise ConfigError(
            f"refusing to serve on {host} without API keys: anyone who can reach it could use the API",
            "set KGQA_API_KEYS=key1,key2 (clients send `Authorization: Bearer KEY`), or bind to 127.0.0.1",
        )


def check_port(host: str, port: int) -> None:
    """Fail early, with a hint, when the address is taken or unusable (instead of uvicorn's log line)."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host.strip("[]"), port))
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                "pick another port with --port (or KGQA_API_PORT), or stop the program using it",
            ) from exc


def serve(
    host: str | None = typer.Option(None, "--host", help="Address to bind (default KGQA_API_HOST, 127.0.0.1)."),
    port: int | None = typer.Option(None, "--port", help="Port (default KGQA_API_PORT, 8000).", min=1, max=65535),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level."),
    workers: int = typer.Option(
        1, "--workers", min=1, max=64, help="Worker processes (each with its own answer cache and rate limits)."
    ),
) -> None:
    """Serve the REST API (/docs) and the explorer page (/) over the configured graph."""
    import uvicorn

    from kgqa.api.app import create_app
    from kgqa.api.security import parse_keys
    from kgqa.cli.common import open_graph
    from kgqa.graph.schema import ensure_constraints

    settings = get_settings()
    host = host or settings.api_host
    port = settings.api_port if port is None else port
    keys = parse_keys(settings)
    check_bind(host, bool(keys))
    check_port(host, port)
    try:  # start the embedded server (saying so) and set up constraints; the API also runs without the graph
        with open_graph() as graph:
            ensure_constraints(graph)
    except Exception as exc:
        err.print(f"[yellow]warning:[/] the graph is not reachable yet ({exc}); /readyz answers 503 until it is")
    app: Any = create_app(settings) if workers == 1 else "kgqa.api.app:create_app"
    shown = f"[::1]:{port}" if host == "::1" else f"{host}:{port}"
    err.print(
        f"kgqa API on http://{shown}  (explorer: /, docs: /docs)  "
        + ("API keys required" if keys else "no API keys (loopback only)")
        + (f", {workers} workers" if workers > 1 else "")
    )
    logging.getLogger("kgqa").setLevel(logging.INFO)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=log_level,
        proxy_headers=False,  # rate limits key on the real peer address, not a header clients can set
        server_header=False,
        timeout_keep_alive=5,
        limit_max_requests=None,
        workers=workers,
        factory=workers > 1,  # workers import the app factory; it reads the same KGQA_* settings
    )


def register(app: typer.Typer) -> None:
    """Add ``kgqa serve``."""
    app.command("serve")(serve)
