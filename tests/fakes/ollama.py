"""A real local HTTP server speaking the Ollama REST API (docs/api.md), for tests and benches.

Answers `/api/chat` from the requested JSON schema (`format`), or, when `format` is "json",
from the schema written into the system prompt (what Sift does for Ollama Cloud). Pulls
stream NDJSON per-layer progress and report unknown models inside the stream, as Ollama does.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.fakes import reader
from tests.fakes.base import FakeServer, JSONHandler

VERSION = "0.12.3"


@dataclass
class FakeModel:
    name: str
    size: int = 2_500_000_000
    parameter_size: str = "4.0B"
    quantization_level: str = "Q4_K_M"
    vision: bool = False
    layers: list[int] = field(default_factory=lambda: [2_000_000_000, 400_000_000, 100_000_000])

    def tag(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "model": self.name,
            "modified_at": datetime.now(UTC).isoformat(),
            "size": self.size,
            "digest": "sha256:" + "a" * 64,
            "details": {
                "parent_model": "",
                "format": "gguf",
                "family": "qwen3",
                "families": ["qwen3"],
                "parameter_size": self.parameter_size,
                "quantization_level": self.quantization_level,
            },
        }


_SCHEMA_IN_PROMPT = re.compile(r"JSON schema:\s*(\{.*\})\s*All string fields", re.DOTALL)


class OllamaHandler(JSONHandler):
    def do_GET(self) -> None:
        fake: FakeOllama = self.fake
        fake.record(self, None)
        if self.common_faults():
            return
        if self.path.startswith("/_fake/"):
            self._control()
            return
        if self.path == "/api/version":
            self.send_json(200, {"version": VERSION})
        elif self.path == "/api/tags":
            self.send_json(200, {"models": [m.tag() for m in fake.installed.values()]})
        elif self.path == "/api/ps" and fake.faults.malformed_ps:
            self.send_json(200, {"models": [{"model": 7, "size": "big"}], "extra": None})
        elif self.path == "/api/ps":
            models = [
                {
                    **fake.installed[n].tag(),
                    "expires_at": datetime.now(UTC).isoformat(),
                    "size_vram": 0,
                    "context_length": 4096,
                }
                for n in fake.loaded
                if n in fake.installed
            ]
            self.send_json(200, {"models": models})
        else:
            self.send_json(404, {"error": "not found"})

    def _control(self) -> None:
        """Read-only state for benches that run the fake in another process."""
        fake: FakeOllama = self.fake
        if self.path == "/_fake/pulls":
            self.send_json(200, {"pulls": fake.pulls})
        elif self.path == "/_fake/stats":
            chats = fake.calls("/api/chat")
            self.send_json(
                200,
                {
                    "chat_calls": len(chats),
                    "installed": sorted(fake.installed),
                    "busy_seconds": fake.busy_seconds,
                    "max_in_flight": fake.max_in_flight,
                    "prompt_tokens": fake.prompt_tokens,
                    "output_tokens": fake.output_tokens,
                },
            )
        else:
            self.send_json(404, {"error": "no such control path"})

    def do_DELETE(self) -> None:
        fake: FakeOllama = self.fake
        body = self.read_json() or {}
        fake.record(self, body)
        if self.common_faults():
            return
        if self.path != "/api/delete":
            self.send_json(404, {"error": "not found"})
            return
        name = body.get("model") or body.get("name")
        if not name:
            self.send_json(400, {"error": "missing body"})
        elif name not in fake.installed:
            self.send_json(404, {"error": f"model '{name}' not found"})
        else:
            del fake.installed[name]
            fake.loaded.discard(name)
            self.send_empty(200)

    def do_POST(self) -> None:
        fake: FakeOllama = self.fake
        body = self.read_json() or {}
        fake.record(self, body)
        if self.path == "/api/pull":
            self._pull(body)
            return
        if self.common_faults():
            return
        if self.path == "/api/show":
            name = body.get("model") or body.get("name")
            model = fake.installed.get(name)
            if model is None:
                self.send_json(404, {"error": f"model '{name}' not found"})
                return
            caps = ["completion"] + (["vision"] if model.vision else [])
            parameters = f"num_ctx {fake.num_ctx}" if fake.num_ctx else 'stop "<|im_end|>"'
            self.send_json(
                200,
                {
                    "modelfile": "",
                    "parameters": parameters,
                    "template": "",
                    "details": model.tag()["details"],
                    "model_info": {
                        "general.architecture": "qwen3",
                        "qwen3.context_length": 40960,
                    },
                    "capabilities": caps,
                },
            )
        elif self.path == "/api/chat":
            self._chat(body)
        elif self.path == "/api/embed":
            self._embed(body)
        else:
            self.send_json(404, {"error": "not found"})

    # --- chat -----------------------------------------------------------------------------
    def _chat(self, body: dict[str, Any]) -> None:
        fake: FakeOllama = self.fake
        model = body.get("model", "")
        if model not in fake.installed and not fake.accept_any_model:
            self.send_json(404, {"error": f"model '{model}' not found, try pulling it first"})
            return
        with fake._lock:
            odd = fake.faults.odd_shape_next > 0
            fake.faults.odd_shape_next -= 1 if odd else 0
        if odd:
            self.send_json(200, {"model": model, "message": "not an object", "done": "yes"})
            return
        if fake.take_html():
            self.send_html_page()
            return
        prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        with fake.slot():
            content = fake.answer(body)
            prompt_tokens, output_tokens, reading, writing = fake.charge(prompt, content)
        fake.loaded.add(model)
        self.send_json(
            200,
            {
                "model": model,
                "created_at": datetime.now(UTC).isoformat(),
                "message": {"role": "assistant", "content": content},
                "done_reason": "stop",
                "done": True,
                "total_duration": int((fake.latency + reading + writing) * 1e9),
                "load_duration": 0,
                "prompt_eval_count": prompt_tokens,
                "prompt_eval_duration": max(1000, int(reading * 1e9)),
                "eval_count": output_tokens,
                "eval_duration": max(1000, int(writing * 1e9)),
            },
        )

    # --- embed ----------------------------------------------------------------------------
    def _embed(self, body: dict[str, Any]) -> None:
        """POST /api/embed {model, input: str | [str]} → {model, embeddings: [[float]]}: a
        bag-of-words vector, so texts sharing most words come out close (cosine)."""
        fake: FakeOllama = self.fake
        model = body.get("model", "")
        if model not in fake.installed and not fake.accept_any_model:
            self.send_json(404, {"error": f"model '{model}' not found, try pulling it first"})
            return
        texts = body.get("input")
        texts = [texts] if isinstance(texts, str) else list(texts or [])
        self.send_json(
            200,
            {
                "model": model,
                "embeddings": [bag_of_words(t) for t in texts],
                "total_duration": 1000,
                "load_duration": 0,
                "prompt_eval_count": sum(len(t.split()) for t in texts),
            },
        )

    # --- pull -----------------------------------------------------------------------------
    def _pull(self, body: dict[str, Any]) -> None:
        fake: FakeOllama = self.fake
        name = body.get("model") or body.get("name")
        if not name:
            self.send_json(400, {"error": "missing request body"})
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        pull = fake.begin_pull(name)
        try:
            self._line({"status": "pulling manifest"})
            model = fake.catalog.get(name)
            if model is None:
                time.sleep(fake.pull_interval)
                self._line({"error": "pull model manifest: file does not exist"})
                self._end()
                pull["outcome"] = "error"
                return
            for index, size in enumerate(model.layers):
                digest = "sha256:" + f"{index:02d}" + "d" * 62
                completed = 0
                step = max(1, size // fake.pull_steps)
                while completed < size:
                    completed = min(size, completed + step)
                    self._line(
                        {
                            "status": f"pulling {digest[7:19]}",
                            "digest": digest,
                            "total": size,
                            "completed": completed,
                        }
                    )
                    time.sleep(fake.pull_interval)
            for status in (
                "verifying sha256 digest",
                "writing manifest",
                "removing unused layers",
                "success",
            ):
                self._line({"status": status})
            self._end()
            fake.installed[name] = model
            pull["outcome"] = "success"
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            pull["outcome"] = "client_closed"
        finally:
            pull["ended_at"] = time.monotonic()
            pull["ended_wall"] = time.time()

    def _line(self, payload: dict[str, Any]) -> None:
        data = (json.dumps(payload) + "\n").encode()
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def bag_of_words(text: str, dims: int = 64) -> list[float]:
    vector = [0.0] * dims
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        vector[sum(map(ord, word)) % dims] += 1.0
    norm = sum(v * v for v in vector) ** 0.5 or 1.0
    return [v / norm for v in vector]


class FakeOllama(FakeServer):
    handler_class = OllamaHandler

    def configure(self) -> None:
        self.installed: dict[str, FakeModel] = {"qwen3:4b": FakeModel("qwen3:4b")}
        self.catalog: dict[str, FakeModel] = {
            "qwen3:8b": FakeModel("qwen3:8b", size=5_200_000_000, parameter_size="8.2B"),
            "gemma3:4b": FakeModel("gemma3:4b", vision=True),
            "llama3.2:3b": FakeModel("llama3.2:3b", parameter_size="3.2B"),
        }
        self.loaded: set[str] = set()
        self.accept_any_model = False
        self.fence_answers = False
        self.pull_interval = 0.02
        self.pull_steps = 20
        self.pulls: list[dict[str, Any]] = []
        # Optional per-test override: body -> content string.
        self.responder: Any = None
        # Answer Sift's prompts like a plain reader would (tests.fakes.reader) instead of
        # filling the schema with fixed values: what `make demo` and `serve` use.
        self.follow_prompt = False
        # num_ctx in the models' Modelfile parameters (/api/show); None: not set there.
        self.num_ctx: int | None = None

    def begin_pull(self, name: str) -> dict[str, Any]:
        pull = {
            "model": name,
            "outcome": "running",
            "started_at": time.monotonic(),
            "ended_at": None,
        }
        with self._lock:
            self.pulls.append(pull)
        return pull

    def install(self, *names: str) -> None:
        """Models from the catalog, as if pulled."""
        for name in names:
            self.installed[name] = self.catalog[name]

    def answer(self, body: dict[str, Any]) -> str:
        if self.responder is not None:
            return str(self.responder(body))
        if self.take_malformed():
            return '{"interest_score": "high", "reasoning": '
        fmt = body.get("format")
        schema: dict[str, Any] | None = fmt if isinstance(fmt, dict) else None
        if schema is None and fmt == "json":
            system = " ".join(
                m.get("content", "") for m in body.get("messages", []) if m.get("role") == "system"
            )
            match = _SCHEMA_IN_PROMPT.search(system)
            schema = json.loads(match.group(1)) if match else None
        prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        payload = self.shape_batch(reader.reply(prompt, schema, follow_prompt=self.follow_prompt))
        text = json.dumps(payload)
        return f"```json\n{text}\n```" if self.fence_answers else text
