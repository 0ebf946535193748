#!/usr/bin/env bash
# Data-parallel tuning: 1 process against `--nproc 2` (and more with NPROCS) on
# this machine, same global batch, same run. Builds a synthetic hub (an MLP over
# 3 x 32 x 32 images, ~1.7 M trainable parameters) and dataset with python3
# (needs torch and numpy: Debian's /usr/bin/python3), then reports steps per
# second and the bytes all-reduced per step.
#
#   benchmarks/distributed-tuning/run.sh            # ITERATIONS=40 BATCH=64 NPROCS="1 2"
#   HUBMINER_GRADIENT_REDUCTION=after-backward NPROCS=2 benchmarks/distributed-tuning/run.sh
#                                             # the post-backward synchroniser (default: overlap)
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-/usr/bin/python3}
ITERATIONS=${ITERATIONS:-40}
BATCH=${BATCH:-64}
NPROCS=${NPROCS:-"1 2"}
HIDDEN=${HIDDEN:-512}
BIN=${BIN:-.build/release/hubminer-torch}
[ -x "$BIN" ] || BIN=.build/debug/hubminer-torch
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# TorchScript reads the class's source, so the generator is a file, not stdin.
cat > "$WORK/make_hub.py" <<'PY'
import json, os, sys
import numpy as np
import torch

root, hidden = sys.argv[1], int(sys.argv[2])
os.makedirs(f"{root}/hub"); os.makedirs(f"{root}/data")

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(3 * 32 * 32, hidden)
        self.fc2 = torch.nn.Linear(hidden, hidden // 2)
    @torch.jit.export
    def features(self, x):
        return torch.relu(self.fc2(torch.relu(self.fc1(torch.flatten(x, 1)))))
    def forward(self, x):
        return self.features(x)

torch.manual_seed(0)
torch.jit.script(Net()).save(f"{root}/hub/mlp.pt")
json.dump({"name": "mlp", "file": "mlp.pt", "input": {"height": 32, "width": 32, "resize": "none"},
           "representation": {"method": "features"}}, open(f"{root}/hub/mlp.json", "w"))
rng = np.random.default_rng(0)
n, classes = 2560, 10
labels = np.arange(n) % classes
images = rng.standard_normal((n, 3, 32, 32)).astype(np.float32)
images.reshape(n, -1)[np.arange(n), labels * 7] += 3.0
np.save(f"{root}/data/images.npy", images)
np.save(f"{root}/data/labels.npy", labels.astype(np.int64))
params = sum(p.numel() for p in Net().parameters())
print(f"trainable parameters: backbone {params}, head {(hidden // 2) * classes + classes}")
PY
"$PYTHON" "$WORK/make_hub.py" "$WORK" "$HIDDEN"

for p in $NPROCS; do
  out="$WORK/run-$p"
  args=(tune --hub "$WORK/hub" --data "$WORK/data" --target mlp --iterations "$ITERATIONS" --batch-size "$BATCH"
        --out "$out" --quiet --format json)
  start=$(date +%s.%N)
  if [ "$p" = 1 ]; then "$BIN" "${args[@]}" >/dev/null; else "$BIN" "${args[@]}" --nproc "$p" >/dev/null 2>&1; fi
  end=$(date +%s.%N)
  # Steps per second from the log's own clock (training only, from the first logged
  # step to the last), so process start and export do not count.
  "$PYTHON" - "$out/log.jsonl" "$p" "$start" "$end" "$HIDDEN" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
steps = [l for l in lines if l["event"] == "step"]
epochs = [l for l in lines if l["event"] == "epoch"]
p, wall, hidden = int(sys.argv[2]), float(sys.argv[4]) - float(sys.argv[3]), int(sys.argv[5])
first, last = steps[0], steps[-1]
rate = (last["iteration"] - first["iteration"]) / (last["seconds"] - first["seconds"])
trainable = (3 * 32 * 32 * hidden + hidden) + (hidden * (hidden // 2) + hidden // 2) + ((hidden // 2) * 10 + 10)
sent = 4 * trainable * 2 * (p - 1) / p
print(f"processes {p}: {rate:.2f} steps/s (training), wall {wall:.1f} s, "
      f"final val top-1 {epochs[-1]['val']['top1']:.4f}, loss {last['loss']['total']:.4f}, "
      f"all-reduced per step per process {sent / 1e6:.2f} MB ({trainable} float32 gradients)")
PY
done
