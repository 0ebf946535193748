"""The inference-speed benchmark's PyTorch side and inputs.

    python3 inference_speed.py make OUT [--count 256]
        OUT/hub: resnet18, mobilenet_v3_small and efficientnet_b0 (torchvision,
        random seeded weights, classifier replaced by an identity) exported with
        torch.jit.script, with cards taking 3 x 224 x 224 as they are (no resize, no
        normalisation); OUT/data: images.npy (COUNT x 3 x 224 x 224 float32, seeded
        normal values) and labels.npy.
    python3 inference_speed.py time OUT MODE BATCH THREADS [MODEL]
        Per model: the TorchScript file loaded with torch.jit.load, eval, then every
        batch of BATCH samples of OUT/data through it under MODE (no_grad or
        inference_mode), as a user's extraction script runs it. Prints JSON: per
        model the forward wall and CPU seconds (first batch included, as in an
        extraction run) and the features' checksum.
"""
import json
import os
import sys
import time
import warnings

import numpy as np
import torch

warnings.filterwarnings("ignore")
MODELS = ["resnet18", "mobilenet_v3_small", "efficientnet_b0"]
HEADS = {"resnet18": "fc", "mobilenet_v3_small": "classifier", "efficientnet_b0": "classifier"}


def make(out, count):
    import torchvision

    hub = os.path.join(out, "hub")
    data = os.path.join(out, "data")
    os.makedirs(hub, exist_ok=True)
    os.makedirs(data, exist_ok=True)
    for i, name in enumerate(MODELS):
        torch.manual_seed(i)
        model = getattr(torchvision.models, name)(weights=None)
        setattr(model, HEADS[name], torch.nn.Identity())
        torch.jit.script(model.eval()).save(os.path.join(hub, name + ".pt"))
        card = {"name": name, "file": name + ".pt", "input": {"channels": 3, "height": 224, "width": 224, "resize": "none"}}
        with open(os.path.join(hub, name + ".json"), "w") as f:
            json.dump(card, f)
    rng = np.random.default_rng(0)
    np.save(os.path.join(data, "images.npy"), rng.standard_normal((count, 3, 224, 224), dtype=np.float32))
    np.save(os.path.join(data, "labels.npy"), (np.arange(count) % 10).astype(np.int64))


def timed(out, mode, batch, threads, only=None):
    torch.set_num_threads(threads)
    images = torch.from_numpy(np.load(os.path.join(out, "data", "images.npy")))
    guard = torch.no_grad if mode == "no_grad" else torch.inference_mode
    result = {}
    for name in [only] if only else MODELS:
        model = torch.jit.load(os.path.join(out, "hub", name + ".pt")).eval()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        rows = []
        with guard():
            for start in range(0, len(images), batch):
                rows.append(model(images[start:start + batch]).numpy().copy())
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        features = np.concatenate(rows)
        result[name] = {"wall": wall, "cpu": cpu, "rows": len(features), "sum": float(np.abs(features).sum())}
        print(f"{name}: {wall:.2f} s wall, {cpu:.2f} s CPU", file=sys.stderr)
    json.dump(result, sys.stdout, indent=1)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        count = int(sys.argv[sys.argv.index("--count") + 1]) if "--count" in sys.argv else 256
        make(sys.argv[2], count)
    else:
        timed(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6] if len(sys.argv) > 6 else None)
