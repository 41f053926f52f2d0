#!/usr/bin/env bash
# Usage: [NNODES=1] [NODE_RANK=0] [MASTER_ADDR=127.0.0.1] [PORT=29500] \
#        tools/dist_train.sh CONFIG NUM_PROCS [train.py options]
# Runs NUM_PROCS processes on this machine (one per GPU; on a CPU-only machine they use gloo).
#
# Several machines: run the same command on each, NUM_PROCS = GPUs of that machine, with
#   NNODES       the number of machines,
#   NODE_RANK    this machine's rank, 0 .. NNODES-1 (0 is the master),
#   MASTER_ADDR  the address of machine 0, reachable from all the others,
#   PORT         a free TCP port on machine 0 (the same everywhere).
# Example, two machines with 8 GPUs each (16 processes, batch = 16 x the config's batch_size):
#   machine 0 (10.1.1.1): NNODES=2 NODE_RANK=0 MASTER_ADDR=10.1.1.1 PORT=29500 \
#                             tools/dist_train.sh configs/lip/fpn_lite0_custom-data.py 8
#   machine 1:            NNODES=2 NODE_RANK=1 MASTER_ADDR=10.1.1.1 PORT=29500 \
#                             tools/dist_train.sh configs/lip/fpn_lite0_custom-data.py 8
# On a Slurm cluster use tools/slurm_train.sh instead.
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}

PYTHONPATH="$(dirname $0)/..":$PYTHONPATH \
python -m torch.distributed.run \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$GPUS \
    --master_port=$PORT \
    $(dirname "$0")/train.py \
    $CONFIG \
    --launcher pytorch ${@:3}
