#!/usr/bin/env bash
# Train on a Slurm cluster: one task per GPU, started by srun, set up by mmengine's slurm launcher
# (rank, world size and MASTER_ADDR from SLURM_PROCID / SLURM_NTASKS / SLURM_NODELIST).
#
# Usage: [GPUS=4] [GPUS_PER_NODE=4] [CPUS_PER_TASK=5] [PORT=29500] [SRUN_ARGS="..."] \
#        tools/slurm_train.sh PARTITION JOB_NAME CONFIG [train.py options]
# Example (16 GPUs on two 8-GPU nodes):
#   GPUS=16 GPUS_PER_NODE=8 tools/slurm_train.sh gpu lip_fpn configs/lip/fpn_lite0_custom-data.py \
#       --work-dir work_dirs/lip_fpn --cfg-options train_dataloader.batch_size=4
# tools/slurm_test.sh runs tools/test.py the same way (HP_MM_SLURM_SCRIPT=test.py).
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 PARTITION JOB_NAME CONFIG [train.py options]" >&2
    exit 2
fi
PARTITION=$1
JOB_NAME=$2
shift 2
SCRIPT=${HP_MM_SLURM_SCRIPT:-train.py}
GPUS=${GPUS:-4}
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
export MASTER_PORT=${PORT:-${MASTER_PORT:-29500}}

# shellcheck disable=SC2086  # SRUN_ARGS holds several options
PYTHONPATH="$(dirname "$0")/..${PYTHONPATH:+:$PYTHONPATH}" \
srun -p "${PARTITION}" \
    --job-name="${JOB_NAME}" \
    --gres=gpu:"${GPUS_PER_NODE}" \
    --ntasks="${GPUS}" \
    --ntasks-per-node="${GPUS_PER_NODE}" \
    --cpus-per-task="${CPUS_PER_TASK}" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    python -u "$(dirname "$0")/${SCRIPT}" "$@" --launcher=slurm
