#!/usr/bin/env bash
# Install the hp_mm stack on a CPU machine (Python 3.11).
# torch first (CPU build), then mmcv 2.1.0 built from source with ops (pip caches the wheel it builds, so a
# second install is fast), then mmseg/mmdet/faiss and hp_mm itself in editable mode.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
echo "[install 1/4] torch + build tools"
"$PY" -m pip install -q -r requirements/build.txt
echo "[install 2/4] mmcv 2.1.0 with ops (first time: a source build of ~20 min on 2 cores; then from pip's wheel cache)"
if ! "$PY" -c "import mmcv, mmcv.ops" 2>/dev/null; then
  MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} "$PY" -m pip install --no-build-isolation -r requirements/mminstall.txt
fi
echo "[install 3/4] mmengine, mmsegmentation, mmdet, faiss-cpu, scipy"
"$PY" -m pip install -q -r requirements/runtime.txt -r requirements/tests.txt
"$PY" -m pip install -q -r requirements/deploy.txt  # the [deploy] extra: ONNX export, ONNX Runtime
echo "[install 4/4] hp_mm (editable)"
"$PY" -m pip install -q --no-build-isolation --no-deps -e .
"$PY" -c "import hp_mm, mmcv, mmseg, mmdet, faiss, torch; print('hp_mm', hp_mm.__version__, '| torch', torch.__version__, '| mmcv', mmcv.__version__, '| mmseg', mmseg.__version__, '| mmdet', mmdet.__version__)"
