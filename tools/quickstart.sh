#!/usr/bin/env bash
# Command 1 of README.md: install, generate MiniHumans (LIP format), train a parser on it with
# tools/train.py, evaluate it (tools/test.py prints the table) and write colour overlays.
# Environment knobs: CONFIG (default: the ImageNet-pretrained EfficientNet-Lite0 parser;
# CONFIG=configs/lip/fpn_r18_minihumans.py trains the from-scratch half-width ResNet-18 instead),
# WORK_DIR, DATA_ROOT, NUM_TRAIN, NUM_VAL, SKIP_INSTALL=1.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
CONFIG=${CONFIG:-configs/lip/fpn_lite0_minihumans.py}
WORK_DIR=${WORK_DIR:-work_dirs/$(basename "$CONFIG" .py)}
DATA_ROOT=${DATA_ROOT:-data/minihumans/LIP}
start=$(date +%s)

[ "${SKIP_INSTALL:-0}" = 1 ] || bash tools/install.sh
t_install=$(date +%s)

echo "== [1/4] generating MiniHumans (LIP format) into $DATA_ROOT"
"$PY" tools/dataset_converters/generate_minihumans.py lip "$DATA_ROOT" \
    --num-train "${NUM_TRAIN:-4000}" --num-val "${NUM_VAL:-100}" --seed 0 --workers 2 --max-size 256

echo "== [2/4] training $CONFIG"
"$PY" tools/train.py "$CONFIG" --work-dir "$WORK_DIR" \
    --cfg-options train_dataloader.dataset.data_root="$DATA_ROOT" \
    val_dataloader.dataset.data_root="$DATA_ROOT" test_dataloader.dataset.data_root="$DATA_ROOT"

CKPT=$(cat "$WORK_DIR/last_checkpoint")
echo "== [3/4] evaluating $CKPT on MiniHumans val (flip test)"
"$PY" tools/test.py "$CONFIG" "$CKPT" --work-dir "$WORK_DIR/test" \
    --cfg-options test_dataloader.dataset.data_root="$DATA_ROOT"

echo "== [4/4] colour overlays of a few validation images"
mkdir -p "$WORK_DIR/demo_inputs"
for f in $(head -n 6 "$DATA_ROOT/TrainVal_images/val_id.txt"); do
  cp "$DATA_ROOT/TrainVal_images/val_images/$f.jpg" "$WORK_DIR/demo_inputs/"
done
"$PY" tools/infer.py "$CONFIG" "$CKPT" "$WORK_DIR/demo_inputs" --out-dir "$WORK_DIR/overlays"
end=$(date +%s)
echo "quickstart: install $((t_install - start)) s, data+train+eval+overlays $((end - t_install)) s"
