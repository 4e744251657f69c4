#!/usr/bin/env bash
# Create the separate virtual environment used by benchmarks/bench_its.py for tfcausalimpact.
#
# tfcausalimpact (0.0.19) needs pandas <= 2.2.3 and TensorFlow (+ TensorFlow Probability), so
# it cannot share the project's environment. It is a benchmark peer only, never a dependency.
#
# Usage:  bash benchmarks/causalimpact_env.sh [VENV_DIR]     (default /tmp/fp-causalimpact-venv)
# Prints the path of the venv's python on its last line. Re-running it reuses the venv.
set -euo pipefail

VENV="${1:-/tmp/fp-causalimpact-venv}"
case "$(realpath -m "$VENV")" in
  /work/venv | /work/venv/* | "$(realpath -m "$(dirname "$0")/..")"*)
    echo "refusing to create the causalimpact venv at $VENV (inside the repo or /work/venv)" >&2
    exit 2
    ;;
esac
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
# tfcausalimpact 0.0.19 declares pandas<=2.2.3, tensorflow>=2.10, tensorflow-probability<=0.25.
"$VENV/bin/python" -m pip install --quiet "tfcausalimpact==0.0.19" "pandas<=2.2.3"
"$VENV/bin/python" -c "import causalimpact, pandas, tensorflow as tf, tensorflow_probability as tfp; \
print('tfcausalimpact ok: pandas', pandas.__version__, 'tensorflow', tf.__version__, 'tfp', tfp.__version__)"
echo "$VENV/bin/python"
