"""PyTorch side of the training-step benchmark (see run.sh).

Same models, initialisation scheme, optimiser and timing method as
Sources/main.swift. Run with Debian's interpreter, which has python3-torch:
    /usr/bin/python3 benchmarks/torch/bench_torch.py --threads 2
"""
import argparse
import json
import math
import resource
import time

import torch
import torch.nn.functional as F


def time_steps(body, steps, warmup=5):
    """Median wall-clock and process CPU seconds per step (see main.swift)."""
    for _ in range(warmup):
        body()
    wall, cpu = [], []
    for _ in range(steps):
        w0, c0 = time.perf_counter(), time.process_time()
        body()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    wall.sort()
    cpu.sort()
    return wall[len(wall) // 2], cpu[len(cpu) // 2]


def parameter(shape, fan_in, generator):
    bound = 1 / math.sqrt(fan_in)
    return torch.zeros(shape).uniform_(-bound, bound, generator=generator).requires_grad_(True)


def place(device, *tensors):
    """The tensors on the device, in place (as Tensor.move(to:) in main.swift)."""
    if device != "cpu":
        for t in tensors:
            t.data = t.data.to(device)


def synchronize(t, device):
    """Waits for a GPU's queued kernels by reading one value, as main.swift does."""
    if device != "cpu":
        t.sum().item()


def mlp_step(steps, g, device="cpu"):
    w1 = parameter([512, 1024], 1024, g)
    b1 = parameter([512], 1024, g)
    w2 = parameter([100, 512], 512, g)
    b2 = parameter([100], 512, g)
    x = torch.randn([256, 1024], generator=g)
    y = torch.randint(0, 100, [256], generator=g)
    place(device, w1, b1, w2, b2, x, y)
    opt = torch.optim.SGD([w1, b1, w2, b2], lr=0.01, momentum=0.9)

    def body():
        opt.zero_grad(set_to_none=True)
        hidden = F.linear(x, w1, b1).relu()
        loss = F.cross_entropy(F.linear(hidden, w2, b2), y)
        loss.backward()
        opt.step()
        synchronize(b2, device)

    return time_steps(body, steps)


def cnn_step(steps, g, device="cpu"):
    c1 = parameter([32, 3, 3, 3], 27, g)
    c1b = parameter([32], 27, g)
    c2 = parameter([64, 32, 3, 3], 288, g)
    c2b = parameter([64], 288, g)
    fc = parameter([10, 4096], 4096, g)
    fcb = parameter([10], 4096, g)
    x = torch.randn([64, 3, 32, 32], generator=g)
    y = torch.randint(0, 10, [64], generator=g)
    place(device, c1, c1b, c2, c2b, fc, fcb, x, y)
    opt = torch.optim.SGD([c1, c1b, c2, c2b, fc, fcb], lr=0.01, momentum=0.9)

    def body():
        opt.zero_grad(set_to_none=True)
        h = F.conv2d(x, c1, c1b, padding=1).relu()
        h = F.max_pool2d(h, 2)
        h = F.conv2d(h, c2, c2b, padding=1).relu()
        h = F.max_pool2d(h, 2).flatten(1)
        loss = F.cross_entropy(F.linear(h, fc, fcb), y)
        loss.backward()
        opt.step()
        synchronize(fcb, device)

    return time_steps(body, steps)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    mlp = cnn = (float("inf"), float("inf"))
    for _ in range(args.rounds):
        m, c = mlp_step(args.steps, g, args.device), cnn_step(args.steps, g, args.device)
        mlp = (min(mlp[0], m[0]), min(mlp[1], m[1]))
        cnn = (min(cnn[0], c[0]), min(cnn[1], c[1]))
    print(json.dumps({"side": "pytorch", "device": args.device, "version": torch.__version__, "threads": torch.get_num_threads(),
                      "mlp_step_ms": round(mlp[0] * 1000, 3), "cnn_step_ms": round(cnn[0] * 1000, 3),
                      "mlp_cpu_ms": round(mlp[1] * 1000, 3), "cnn_cpu_ms": round(cnn[1] * 1000, 3),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


if __name__ == "__main__":
    main()
