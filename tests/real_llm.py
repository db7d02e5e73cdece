"""llama.cpp's OpenAI-compatible server with Qwen2.5-Coder 0.5B Instruct (Q4_K_M, its sha256
checked by tools/real_llm/install.sh, which installs both into .tools/), for `make test-real`,
`make bench-real` and `make bench-judgement`."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

from tests.fakes.base import free_port
from tests.live import ROOT

REAL_PYTHON = ROOT / ".tools" / "real-llm" / "bin" / "python"
MODEL_FILE = ROOT / ".tools" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
MODEL_ALIAS = "qwen2.5-coder-0.5b-instruct"
N_CTX = 4096


def start_llama_server(log: Path, *extra: str) -> tuple[subprocess.Popen[bytes], str]:
    """llama.cpp's OpenAI-compatible server on 127.0.0.1; returns it and its base URL."""
    port = free_port()
    command = [
        str(REAL_PYTHON), "-m", "llama_cpp.server", "--model", str(MODEL_FILE),
        "--model_alias", MODEL_ALIAS, "--chat_format", "chatml", "--host", "127.0.0.1",
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
