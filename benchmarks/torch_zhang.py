"""A plain PyTorch Zhang et al. (2016) training step, the reference for train_throughput.py.

The same layout as ``chroma_lab.models.zhang2016.build`` (widths, depths, strides, dilations,
BatchNorm after each block, 4x4 stride-2 transposed conv8_1, 313-way 1x1 head) and the same
whole step: uint8 RGB on the device -> L and ab -> 5-nearest soft-encoded targets (sigma 5) at
1/4 resolution -> rebalanced cross-entropy -> backward -> Adam. Eager, or ``torch.compile``.

    python3 benchmarks/torch_zhang.py --size small --image-size 64 --batch-size 32
    python3 benchmarks/torch_zhang.py --size full --image-size 224 --batch-size 64 --bf16 --compile
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import torch
from torch import nn

# (widths, depths) of blocks 1..8, as zhang2016.CONFIGS; blocks 1-3 end with stride 2, 5-6 dilate
CONFIGS = {"full": ((64, 128, 256, 512, 512, 512, 512, 256), (2, 2, 3, 3, 3, 3, 3, 3)),
           "small": ((16, 32, 64, 64, 64, 64, 64, 32), (2, 2, 3, 3, 3, 3, 3, 3))}  # fmt: skip


def build(size: str = "full") -> nn.Sequential:
    widths, depths = CONFIGS[size]
    mods, channels = [], 1
    for block in range(1, 8):
        dilation = 2 if block in (5, 6) else 1
        for i in range(1, depths[block - 1] + 1):
            stride = 2 if block in (1, 2, 3) and i == depths[block - 1] else 1
            mods += [nn.Conv2d(channels, widths[block - 1], 3, stride, padding=dilation, dilation=dilation), nn.ReLU()]
            channels = widths[block - 1]
        mods.append(nn.BatchNorm2d(channels, eps=1e-3, momentum=0.01))  # Keras' defaults
    mods += [nn.ConvTranspose2d(channels, widths[7], 4, 2, padding=1), nn.ReLU()]
    for _ in range(2, depths[7] + 1):
        mods += [nn.Conv2d(widths[7], widths[7], 3, padding=1), nn.ReLU()]
    mods.append(nn.Conv2d(widths[7], 313, 1))
    return nn.Sequential(*mods)


def conv_flops(net: nn.Sequential, side: int) -> int:
    """Forward FLOPs (2 x multiply-adds) of the convolutions for one side x side image."""
    x, total = torch.zeros(1, 1, side, side), 0
    with torch.no_grad():
        for mod in net:
            y = mod(x)
            if isinstance(mod, nn.ConvTranspose2d):
                total += x.numel() * mod.kernel_size[0] * mod.kernel_size[1] * mod.out_channels
            elif isinstance(mod, nn.Conv2d):
                total += y.numel() * mod.kernel_size[0] * mod.kernel_size[1] * mod.in_channels
            x = y
    return 2 * total


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """uint8 (n, H, W, 3) -> float32 Lab (n, 3, H, W), D65 (as chroma_lab.color)."""
    c = rgb.float().permute(0, 3, 1, 2) / 255.0
    c = torch.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    m = torch.tensor([[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169],
                      [0.019334, 0.119193, 0.950227]], device=rgb.device)  # fmt: skip
    xyz = torch.einsum("ij,njhw->nihw", m, c) / torch.tensor([0.95047, 1.0, 1.08883], device=rgb.device)[:, None, None]
    f = torch.where(xyz > 0.008856, xyz.clamp_min(1e-12) ** (1 / 3), 7.787 * xyz + 16 / 116)
    return torch.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], 1)


def make_step(net, bins, weights, compile_: bool, bf16: bool):
    opt = torch.optim.Adam(net.parameters(), 1e-4, betas=(0.9, 0.99))
    device = bins.device

    def step(rgb):
        lab = rgb_to_lab(rgb)
        ab = nn.functional.avg_pool2d(lab[:, 1:], 4)  # targets at the logits' 1/4 resolution
        d2 = ((ab.permute(0, 2, 3, 1)[..., None, :] - bins) ** 2).sum(-1)  # (n, h, w, 313)
        near, idx = d2.topk(5, largest=False)
        w = torch.exp(-near / (2 * 5.0**2))
        target = torch.zeros_like(d2).scatter_(-1, idx, w / w.sum(-1, keepdim=True))
        pixel_weight = weights[idx[..., 0]]
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            logits = net((lab[:, :1] - 50.0) / 100.0)
        logp = torch.log_softmax(logits.float().permute(0, 2, 3, 1), -1)
        loss = -(pixel_weight * (target * logp).sum(-1)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.detach()

    return torch.compile(step) if compile_ else step


def make_runner(size="small", image_size=64, batch_size=32, compile_=False, bf16=False, device=None):
    """One whole training step on one device batch, as a function returning the host loss.

    Also returns the device, for the caller's report.
    """
    from chroma_lab.quantize import ab_bins  # the 313 bins (NumPy; no Keras)

    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    torch.manual_seed(0)
    net = build(size).to(device)
    bins = torch.tensor(np.asarray(ab_bins(), dtype=np.float32), device=device)
    weights = torch.ones(313, device=device)  # rebalancing weights: their values do not change the cost
    rgb = torch.randint(0, 256, (batch_size, image_size, image_size, 3), dtype=torch.uint8, device=device)
    step = make_step(net, bins, weights, compile_, bf16)
    return (lambda: float(step(rgb))), device  # a host float: synchronised, as train_on_batch


def run(size="small", image_size=64, batch_size=32, steps=20, warmup=3, compile_=False, bf16=False, device=None):
    """Time the step; returns a dict of images/s, TFLOP/s (training as 3x forward), peak memory."""
    step, device = make_runner(size, image_size, batch_size, compile_, bf16, device)
    for _ in range(warmup):
        step()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = time.perf_counter() - start
    rate = steps * batch_size / seconds
    flops = conv_flops(build(size), image_size)
    peak = (torch.cuda.max_memory_allocated() if device.type == "cuda"
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)  # fmt: skip
    return {"images_per_s": rate, "tflops": 3 * flops * rate / 1e12, "peak_bytes": peak, "device": str(device)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=tuple(CONFIGS), default="small")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--compile", action="store_true", help="torch.compile the whole step")
    parser.add_argument("--bf16", action="store_true", help="bfloat16 autocast (as mixed_bfloat16)")
    args = parser.parse_args(argv)
    r = run(args.size, args.image_size, args.batch_size, args.steps, compile_=args.compile, bf16=args.bf16)
    print(f"pytorch {'compile' if args.compile else 'eager'} on {r['device']}: {r['images_per_s']:.1f} images/s, "
          f"{r['tflops']:.3f} TFLOP/s, peak memory {r['peak_bytes'] / 2**20:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
