#!/usr/bin/env bash
# Distributed training with torchrun, one process per GPU (or per CPU process
# with env_cfg.dist_cfg.backend=gloo).
#   bash tools/dist_train.sh CONFIG GPUS [train.py args...]
# Multi-node: run on every node with the same NNODES, MASTER_ADDR and PORT and
# that node's NODE_RANK, e.g. two nodes with 8 GPUs each:
#   NNODES=2 NODE_RANK=0 MASTER_ADDR=10.0.0.1 bash tools/dist_train.sh CONFIG 8   # on 10.0.0.1
#   NNODES=2 NODE_RANK=1 MASTER_ADDR=10.0.0.1 bash tools/dist_train.sh CONFIG 8   # on the other
# PYTHON selects the interpreter (default: python).
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: [NNODES=1] [NODE_RANK=0] [MASTER_ADDR=127.0.0.1] [PORT=29500]" \
        "bash $0 CONFIG GPUS_PER_NODE [train.py args...]" >&2
    exit 2
fi
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
PYTHON=${PYTHON:-python}

# exec: the script becomes torchrun, so a SIGTERM sent to it (kill, a job
# scheduler) reaches torchrun, which stops its workers; as a child, torchrun
# and the ranks went on training after the script had gone.
PYTHONPATH="$(dirname "$0")/..${PYTHONPATH:+:$PYTHONPATH}" \
exec "$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node-rank="$NODE_RANK" \
    --master-addr="$MASTER_ADDR" \
    --master-port="$PORT" \
    --nproc-per-node="$GPUS" \
    "$(dirname "$0")/train.py" "$CONFIG" --launcher pytorch "${@:3}"
