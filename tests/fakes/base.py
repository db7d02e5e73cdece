"""A small threaded HTTP server base for the fakes: records every request, injects faults."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def json(self) -> Any:
        return self.body


@dataclass
class Faults:
    """What the next requests should suffer. Counts go down as they are used."""

    status_next: list[int] = field(default_factory=list)  # e.g. [503, 429]: one each
    malformed_share: float = 0.0  # share of chat answers that are broken JSON
    malformed_next: int = 0  # this many chat answers broken, then fine
    hang_seconds: float = 0.0  # every request sleeps this long before answering
    # The next chat answers are 200s in a shape the documented API never has (what a client
    # or server upgrade might bring): an adapter bug, not an outage.
    odd_shape_next: int = 0
    # The next chat answers are 200s carrying an HTML page (a proxy or web server in front).
    html_next: int = 0
    # The next batched answers leave out their last article / add an article never asked about.
    batch_drop_next: int = 0
    batch_invent_next: int = 0
    malformed_ps: bool = False  # /api/ps answers 200 with fields of the wrong types


class FakeServer:
    handler_class: type[BaseHTTPRequestHandler]

    def __init__(self, port: int = 0) -> None:
        self._lock = threading.Lock()
        self.port = port
        self.httpd: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None
        self.requests: list[Recorded] = []
        self.connections: set[socket.socket] = set()
        self.reset()

    def configure(self) -> None:
        """Subclasses set their default models and knobs here (called by `reset`)."""

    # --- life cycle ----------------------------------------------------------------------
    def start(self) -> FakeServer:
        server = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler_class)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self.httpd = server
        self.port = server.server_address[1]
        self.thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        """Go down: close the listening socket (new connections are refused until `start()`)
        and cut the kept-alive ones, as a stopped server would."""
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None
        with self._lock:
            open_connections, self.connections = list(self.connections), set()
        for conn in open_connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_slots(self, slots: int) -> None:
        self.slots = slots
        self._slots_sem = threading.BoundedSemaphore(slots)

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """One model call: waits for a free slot (as OLLAMA_NUM_PARALLEL does) and counts the
        calls in flight, so a test can read the most there ever were (`max_in_flight`)."""
        with self._slots_sem:
            with self._lock:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                yield
            finally:
                with self._lock:
                    self.in_flight -= 1

    # --- helpers for handlers -------------------------------------------------------------
    def record(self, handler: BaseHTTPRequestHandler, body: Any) -> None:
        with self._lock:
            self.requests.append(
                Recorded(
                    handler.command,
                    handler.path,
                    {k.lower(): v for k, v in handler.headers.items()},
                    body,
                )
            )

    def charge(self, prompt: str, output: str) -> tuple[int, int, float, float]:
        """Spend the time one model call costs, inside its slot: the fixed `latency` plus a
        price per prompt and per output token (a token counted as 4 characters, as for
        English). Returns the tokens and the seconds of prompt and output, and adds the
        whole to `busy_seconds`, the time the model was at work."""
        prompt_tokens, output_tokens = len(prompt) // 4 + 1, len(output) // 4 + 1
        reading = prompt_tokens * self.prompt_token_latency
        writing = output_tokens * self.output_token_latency
        seconds = self.latency + reading + writing
        if seconds:
            time.sleep(seconds)
        with self._lock:
            self.busy_seconds += seconds
            self.prompt_tokens += prompt_tokens
            self.output_tokens += output_tokens
        return prompt_tokens, output_tokens, reading, writing

    def shape_batch(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Apply the batch faults to a batched answer."""
        entries = payload.get("articles")
        if not isinstance(entries, list):
            return payload
        with self._lock:
            drop = self.faults.batch_drop_next > 0 and len(entries) > 0
            self.faults.batch_drop_next -= 1 if drop else 0
            invent = self.faults.batch_invent_next > 0
            self.faults.batch_invent_next -= 1 if invent else 0
        if drop:
            entries = entries[:-1]
        if invent and entries:
            entries = [*entries, {**entries[0], "id": 987654321}]
        return {**payload, "articles": entries}

    def next_fault_status(self) -> int | None:
        with self._lock:
            return self.faults.status_next.pop(0) if self.faults.status_next else None

    def take_html(self) -> bool:
        with self._lock:
            html = self.faults.html_next > 0
            self.faults.html_next -= 1 if html else 0
        return html

    def take_malformed(self) -> bool:
        with self._lock:
            self._counter += 1
            if self.faults.malformed_next > 0:
                self.faults.malformed_next -= 1
                return True
            share = self.faults.malformed_share
            # Deterministic spread: every k-th answer is broken for share 1/k-ish.
            return share > 0 and (self._counter * share) % 1.0 < share

    def calls(self, path_part: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if path_part in r.path]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.faults = Faults()
            self._counter = 0
            self.latency = 0.0
            # Seconds per prompt token and per output token, charged on top of `latency`.
            self.prompt_token_latency = 0.0
            self.output_token_latency = 0.0
            self.busy_seconds = 0.0
            self.prompt_tokens = 0
            self.output_tokens = 0
            self.in_flight = 0
            self.max_in_flight = 0
            self.set_slots(4)
        self.configure()


class JSONHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are separate writes: without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK add 40 ms to every keep-alive request (Go's net/http, which real
    # Ollama uses, sets TCP_NODELAY too).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def fake(self) -> Any:
        return self.server.fake  # type: ignore[attr-defined]

    def setup(self) -> None:
        super().setup()
        with self.fake._lock:
            self.fake.connections.add(self.connection)

    def finish(self) -> None:
        with self.fake._lock:
            self.fake.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def read_json(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return {"_raw": raw.decode(errors="replace")}

    def send_json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_html_page(self) -> None:
        """A 200 with a web server's welcome page, as a proxy in front of an LLM may answer."""
        page = b"<!doctype html><html><body>Welcome to nginx!</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def send_empty(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def common_faults(self) -> bool:
        """Apply hang and injected status; True when the response was already sent."""
        if self.fake.faults.hang_seconds:
            time.sleep(self.fake.faults.hang_seconds)
        status = self.fake.next_fault_status()
        if status is not None:
            self.send_json(status, {"error": f"injected fault {status}"})
            return True
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def instance_from_schema(
    schema: dict[str, Any], defs: dict[str, Any] | None = None, hint: str = ""
) -> Any:
    """A valid value for a JSON schema (the subset Pydantic emits), deterministic."""
    defs = defs if defs is not None else schema.get("$defs", {})
    if "$ref" in schema:
        return instance_from_schema(defs[schema["$ref"].split("/")[-1]], defs, hint)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"] or schema[key]
            return instance_from_schema(options[0], defs, hint)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            name: instance_from_schema(sub, defs, name)
            for name, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        count = max(1, schema.get("minItems", 1))
        count = min(count, schema.get("maxItems", count))
        item = schema.get("items", {"type": "string"})
        if item.get("type") == "string" and "categor" in hint:
            return ["technology", "ai-ml"][:count] if count > 1 else ["technology"]
        return [instance_from_schema(item, defs, hint) for _ in range(count)]
    if kind == "integer":
        low, high = schema.get("minimum", 0), schema.get("maximum", 10)
        return max(low, min(high, 7))
    if kind == "number":
        low, high = schema.get("minimum", 0), schema.get("maximum", 10)
        return float(max(low, min(high, 7.5)))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return f"fake {hint or 'text'}"
