"""PyTorch's side of the extraction benchmark: load the same TorchScript model, read
the same array, run features + source-head softmax batch by batch without
gradients, and print the seconds taken (model and array loading included, as
hubminer's run includes them).

    python3 pytorch_forward.py MODEL DATA_DIR BATCH THREADS [DEVICE]

DEVICE is cpu (the default) or cuda (scripts/gpu-check.sh); on a GPU each batch's
results are copied back to the host, as hubminer's extraction does.
"""
import os
import sys
import time

import numpy as np
import torch


def main():
    model_path, data_dir, batch, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    device = sys.argv[5] if len(sys.argv) > 5 else "cpu"
    torch.set_num_threads(threads)
    start = time.perf_counter()
    model = torch.jit.load(model_path, map_location=device).eval()
    images = np.load(os.path.join(data_dir, "images.npy"))
    feats, probs = [], []
    with torch.no_grad():
        for i in range(0, len(images), batch):
            x = torch.from_numpy(np.ascontiguousarray(images[i:i + batch])).to(device)
            f = model.features(x)
            feats.append(f.cpu().numpy())
            probs.append(torch.softmax(model.forward(x), dim=1).cpu().numpy())
    features = np.concatenate(feats)
    seconds = time.perf_counter() - start
    print(f"{seconds:.3f} {features.shape[0]} {features.shape[1]}")


if __name__ == "__main__":
    main()
