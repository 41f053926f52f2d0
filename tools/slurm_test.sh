#!/usr/bin/env bash
# Test a checkpoint on a Slurm cluster: tools/test.py started by srun as tools/slurm_train.sh
# starts training (same variables: GPUS, GPUS_PER_NODE, CPUS_PER_TASK, PORT, SRUN_ARGS).
#
# Usage: [GPUS=4] [GPUS_PER_NODE=4] [CPUS_PER_TASK=5] [PORT=29500] [SRUN_ARGS="..."] \
#        tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py options]
# Example:
#   GPUS=4 tools/slurm_test.sh gpu lip_test configs/lip/fpn_lite0_custom-data.py \
#       work_dirs/lip_fpn/iter_10000.pth --work-dir work_dirs/lip_fpn/test
set -euo pipefail
if [ $# -lt 4 ]; then
    echo "usage: $0 PARTITION JOB_NAME CONFIG CHECKPOINT [test.py options]" >&2
    exit 2
fi
HP_MM_SLURM_SCRIPT=test.py exec bash "$(dirname "$0")/slurm_train.sh" "$@"
