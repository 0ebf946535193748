"""Builds the rank-hub benchmark's inputs in OUT: a hub of torchvision architectures
(random weights, seeded) exported as TorchScript with their cards, and an
ImageFolder of JPEGs whose classes differ in colour and stripe frequency (so
random-weight networks still see them unequally well).

    python3 make_hub.py OUT [--count 500] [--size 224]

Every model's representation is its penultimate layer (the classifier replaced by
an identity). Two input pipelines: ImageNet normalisation for most models,
mean = std = 0.5 for two of them, as some model families are published.
"""
import argparse
import json
import os

import numpy as np
import torch
import torchvision
from PIL import Image

IMAGENET = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
HALF = ([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])

# name -> (constructor, how to drop the classifier, normalisation)
MODELS = {
    "mobilenet_v3_small": (torchvision.models.mobilenet_v3_small, "classifier", IMAGENET),
    "shufflenet_v2_x0_5": (torchvision.models.shufflenet_v2_x0_5, "fc", IMAGENET),
    "squeezenet1_1": (torchvision.models.squeezenet1_1, "squeeze", IMAGENET),
    "mnasnet0_5": (torchvision.models.mnasnet0_5, "classifier", IMAGENET),
    "regnet_x_400mf": (torchvision.models.regnet_x_400mf, "fc", IMAGENET),
    "mobilenet_v2": (torchvision.models.mobilenet_v2, "classifier", HALF),
    "efficientnet_b0": (torchvision.models.efficientnet_b0, "classifier", HALF),
    "resnet18": (torchvision.models.resnet18, "fc", IMAGENET),
}


def build(name, seed):
    ctor, head, _ = MODELS[name]
    torch.manual_seed(seed)
    model = ctor(weights=None)
    if head == "squeeze":
        model.classifier = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
    else:
        setattr(model, head, torch.nn.Identity())
    return model.eval()


def make_images(out, count, size):
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    for i in range(count):
        c = i % 10
        d = os.path.join(out, f"class{c}")
        os.makedirs(d, exist_ok=True)
        hue = np.array([(c * 37) % 255, (c * 91) % 255, (c * 151) % 255], dtype=np.float32)
        freq = 0.05 + 0.03 * (c % 5)
        angle = rng.uniform(0, np.pi)
        phase = rng.uniform(0, 2 * np.pi)
        stripes = np.sin(freq * (x * np.cos(angle) + y * np.sin(angle)) + phase)[..., None]
        pixels = 0.5 * hue + 60 * stripes + rng.normal(0, 40, (size, size, 3)) + rng.uniform(-40, 40, 3)
        Image.fromarray(np.clip(pixels + 64, 0, 255).astype(np.uint8)).save(os.path.join(d, f"img{i:05d}.jpg"), quality=90)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--count", type=int, default=500)
    p.add_argument("--size", type=int, default=224)
    a = p.parse_args()
    hub = os.path.join(a.out, "hub")
    os.makedirs(hub, exist_ok=True)
    for seed, name in enumerate(MODELS):
        model = torch.jit.script(build(name, seed))
        torch.jit.save(model, os.path.join(hub, f"{name}.pt"))
        mean, std = MODELS[name][2]
        card = {
            "name": name, "file": f"{name}.pt",
            "input": {"channels": 3, "height": a.size, "width": a.size, "resize": "none", "mean": mean, "std": std},
            "representation": {"method": "forward"},
            "metadata": {"source_dataset": "random init (benchmark)", "license": "BSD-3-Clause"},
        }
        with open(os.path.join(hub, f"{name}.json"), "w") as f:
            json.dump(card, f, indent=2)
    make_images(os.path.join(a.out, "images"), a.count, a.size)


if __name__ == "__main__":
    main()
