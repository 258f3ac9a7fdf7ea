"""A real local OpenAI-compatible HTTP server that replays recorded chat-completion responses.

Scenarios live in ``tests/data/llm_replays/*.json`` (checked in order of file name)::

    {"name": "...",
     "match": {"contains": ["text in the request messages", ...], "not_contains": [...], "model": "..."},
     "mode": "sequence" | "turn",     # sequence: n-th matching request gets responses[n] (last one repeats)
                                       # turn: responses[number of assistant messages in the request]
     "responses": [{"status": 200, "headers": {...}, "delay": 0.0, "body": {... full response body ...}}]}

The server speaks ``POST /v1/chat/completions`` and ``GET /v1/models``; it records every request (``requests``)
so tests can count HTTP calls (e.g. zero on a fully cached second run). Options: ``api_key`` (wrong/missing
key → the recorded 401), ``json_schema`` (False → 400 "response_format ... not supported" for any response_format,
like servers without structured output; "llama" → the HTTP 500 that llama-cpp-python's server gives for json_schema,
while it accepts ``json_object`` with a schema), ``models`` (others → the recorded 404 model_not_found), ``latency`` (seconds added
to every reply, to stand in for generation time in benchmarks).
"""

from __future__ import annotations

import contextlib
import copy
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPLAY_DIR = Path(__file__).parent / "data" / "llm_replays"


class ReplayServer:
    def __init__(
        self,
        replay_dir: Path = REPLAY_DIR,
        api_key: str | None = None,
        json_schema: bool | str = True,
        models: tuple[str, ...] = ("replay-model", "replay-small"),
        latency: float = 0.0,
    ) -> None:
        self.scenarios = [
            json.loads(p.read_text(encoding="utf-8")) | {"file": p.name} for p in sorted(replay_dir.glob("*.json"))
        ]
        self.errors = {s["name"]: s for s in self.scenarios if s.get("kind") == "error"}
        self.scenarios = [s for s in self.scenarios if s.get("kind") != "error"]
        self.api_key = api_key
        self.json_schema = json_schema
        self.models = set(models)
        self.latency = latency  # extra seconds before every reply (benchmarks: a model's generation time)
        self.requests: list[dict[str, Any]] = []
        self.counters: dict[str, int] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                raw = (json.dumps(body) if not isinstance(body, str) else body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if not isinstance(body, str) else "text/plain")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(raw)

            def do_GET(self) -> None:
                if self.path.rstrip("/") == "/v1/models":
                    data = [{"id": m, "object": "model", "owned_by": "replay"} for m in sorted(server.models)]
                    self._send(200, {"object": "list", "data": data})
                else:
                    self._send(404, "404 page not found")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    self._send(400, {"error": {"message": "invalid JSON body", "type": "invalid_request_error"}})
                    return
                path = self.path.split("?", 1)[0].rstrip("/")
                with server._lock:
                    server.requests.append(
                        {"path": path, "body": body, "auth": self.headers.get("Authorization"), "t": time.monotonic()}
                    )
                if path != "/v1/chat/completions":
                    self._send(404, "404 page not found")
                    return
                status, payload, headers, delay = server.respond(body, self.headers.get("Authorization"))
                if delay or server.latency:
                    time.sleep(delay + server.latency)
                self._send(status, payload, headers)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"] == "/v1/chat/completions"]

    def start(self) -> ReplayServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.counters.clear()

    def _error(self, name: str, **fill: str) -> tuple[int, Any, dict[str, str], float]:
        scenario = self.errors[name]
        response = copy.deepcopy(scenario["responses"][0])
        text = json.dumps(response["body"])
        for key, value in fill.items():
            text = text.replace("{{" + key + "}}", value)
        return response["status"], json.loads(text), response.get("headers", {}), 0.0

    def respond(self, body: dict[str, Any], auth: str | None) -> tuple[int, Any, dict[str, str], float]:
        if self.api_key and auth != f"Bearer {self.api_key}":
            return self._error("error_401")
        model = str(body.get("model", ""))
        if model not in self.models:
            return self._error("error_404_model", model=model)
        fmt = body.get("response_format") or {}
        if self.json_schema is False and fmt:
            return self._error("error_400_response_format")
        if self.json_schema == "llama" and fmt.get("type") == "json_schema":
            return self._error("error_500_llama_json_schema")
        messages = body.get("messages") or []
        text = "\n".join(str(m.get("content", "")) for m in messages)
        turn = sum(1 for m in messages if m.get("role") == "assistant")
        for scenario in self.scenarios:
            match = scenario.get("match", {})
            if match.get("model") and match["model"] != model:
                continue
            if not all(c in text for c in match.get("contains", [])):
                continue
            if any(c in text for c in match.get("not_contains", [])):
                continue
            responses = scenario["responses"]
            if scenario.get("mode") == "turn":
                index = min(turn, len(responses) - 1)
            else:
                with self._lock:
                    index = min(self.counters.get(scenario["name"], 0), len(responses) - 1)
                    self.counters[scenario["name"]] = self.counters.get(scenario["name"], 0) + 1
            response = copy.deepcopy(responses[index])
            payload = response.get("body")
            if isinstance(payload, dict) and "choices" in payload:
                payload["model"] = model
            return response.get("status", 200), payload, response.get("headers", {}), float(response.get("delay", 0))
        return 400, {"error": {"message": "replay server: no recorded response matches this request"}}, {}, 0.0
