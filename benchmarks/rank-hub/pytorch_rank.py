"""What a user would otherwise run: the published kind of ranking script. For each
model of the hub in turn: torchvision's ImageFolder and DataLoader with the card's
normalisation, the TorchScript model under no_grad, features to NumPy, then LogME
in NumPy (benchmarks/logme/numpy_logme.py, the algorithm HubMiner runs). Prints one
JSON object: model -> score, and the seconds spent extracting.

    python3 pytorch_rank.py HUB IMAGES BATCH THREADS
"""
import glob
import json
import os
import sys
import time

import numpy as np
import torch
import torchvision
from torchvision import transforms

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "logme"))
from numpy_logme import logme_same  # noqa: E402


def main():
    hub, images, batch, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    scores, extract_seconds = {}, 0.0
    for card_path in sorted(glob.glob(os.path.join(hub, "*.json"))):
        card = json.load(open(card_path))
        model = torch.jit.load(os.path.join(hub, card["file"])).eval()
        tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(card["input"]["mean"], card["input"]["std"])])
        loader = torch.utils.data.DataLoader(
            torchvision.datasets.ImageFolder(images, transform=tf), batch_size=batch, shuffle=False, num_workers=0)
        t0 = time.time()
        feats, labels = [], []
        with torch.no_grad():
            for x, y in loader:
                feats.append(model(x).numpy())
                labels.append(y.numpy())
        extract_seconds += time.time() - t0
        f = np.concatenate(feats).astype(np.float64)
        scores[card["name"]] = logme_same(f, np.concatenate(labels))
    print(json.dumps({"scores": scores, "extract_seconds": extract_seconds}))


if __name__ == "__main__":
    main()
