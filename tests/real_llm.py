"""llama.cpp's OpenAI-compatible server with Gemma 3 270M, for `make test-real` and
`make bench-real` (installed by tools/real_llm/install.sh into .tools/)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

from tests.fakes.base import free_port
from tests.live import ROOT

REAL_PYTHON = ROOT / ".tools" / "real-llm" / "bin" / "python"
MODEL_FILE = ROOT / ".tools" / "gemma-3-270m-q4_k_m.gguf"
MODEL_ALIAS = "gemma3-270m"
N_CTX = 4096


def start_llama_server(log: Path, *extra: str) -> tuple[subprocess.Popen[bytes], str]:
    """llama.cpp's OpenAI-compatible server on 127.0.0.1; returns it and its base URL."""
    port = free_port()
    command = [
        str(REAL_PYTHON), "-m", "llama_cpp.server", "--model", str(MODEL_FILE),
        "--model_alias", MODEL_ALIAS, "--chat_format", "gemma", "--host", "127.0.0.1",
        "--port", str(port), "--n_threads", "2", "--n_ctx", str(N_CTX), *extra,
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                return proc, base_url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise RuntimeError("llama.cpp's server did not start:\n" + log.read_text()[-3000:])
