"""Run a fake as its own process: `python -m tests.fakes.serve ollama --port 11434`.

Benchmarks use it so the fake does not share the GIL with what is measured; it also lets a
reader try `make run` (and a pull at /api/docs) without a real Ollama.
"""

from __future__ import annotations

import argparse
import signal
import threading

from tests.fakes.gemini import FakeGemini
from tests.fakes.ollama import FakeOllama


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=["ollama", "gemini"])
    parser.add_argument("--port", type=int, default=11434)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per chat call")
    parser.add_argument(
        "--prompt-token-latency", type=float, default=0.0, help="seconds per prompt token"
    )
    parser.add_argument(
        "--output-token-latency", type=float, default=0.0, help="seconds per output token"
    )
    parser.add_argument("--num-ctx", type=int, default=0, help="num_ctx in /api/show (0: unset)")
    parser.add_argument("--slots", type=int, default=4, help="calls served at once")
    parser.add_argument("--pull-steps", type=int, default=200)
    parser.add_argument("--pull-interval", type=float, default=0.05)
    args = parser.parse_args()
    fake = FakeOllama(port=args.port) if args.kind == "ollama" else FakeGemini(port=args.port)
    fake.latency = args.latency
    fake.prompt_token_latency = args.prompt_token_latency
    fake.output_token_latency = args.output_token_latency
    fake.set_slots(args.slots)
    if isinstance(fake, FakeOllama):
        fake.pull_steps = args.pull_steps
        fake.pull_interval = args.pull_interval
        fake.accept_any_model = True
        fake.follow_prompt = True
        fake.num_ctx = args.num_ctx or None
    fake.start()
    print(
        f"fake {args.kind} on {fake.url} (latency {args.latency}s, {args.slots} slots)", flush=True
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    fake.stop()


if __name__ == "__main__":
    main()
