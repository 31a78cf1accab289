"""A plain PyTorch eager implementation of the Iizuka et al. (2016) network: the speed reference.

The same layers as :func:`chroma_lab.models.iizuka2016.build`, read from the same
:class:`~chroma_lab.models.iizuka2016.IizukaConfig` table (NCHW, ``padding=1`` where Keras pads
"same"), and the same training step: uint8 RGB in, Lab conversion on the device, MSE in sigmoid
space + alpha x cross-entropy, Adadelta. It is what a PyTorch user would write without compiling
anything (``torch.backends.cudnn.benchmark`` on; ``torch.autocast`` to bfloat16 with
``mixed_bfloat16``), so ``train_throughput.py --torch-reference`` can time both in one command.
It is not a port of weights: the two networks are built independently and only their layout,
parameter count and step are the same (:func:`check_against_keras` asserts the count).

Needs ``torch`` (not a chroma_lab dependency). Used by ``benchmarks/train_throughput.py``; on its
own it prints the parameter count and checks the Lab conversion:

    python3 benchmarks/torch_iizuka.py
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from chroma_lab import color
from chroma_lab.color import AB_SCALE, normalize_l
from chroma_lab.losses import IIZUKA_ALPHA, UNLABELLED, ab_to_unit
from chroma_lab.models.iizuka2016 import CONFIGS, IizukaConfig


def _block(layer, features, batch_norm, norm=nn.BatchNorm2d):
    return [layer, *([norm(features)] if batch_norm else []), nn.ReLU(inplace=True)]


def _convs(c_in, table, batch_norm):
    """3x3 convolutions from (channels, stride) rows; returns (module, channels out)."""
    mods = []
    for width, stride in table:
        mods += _block(nn.Conv2d(c_in, width, 3, stride, padding=1), width, batch_norm)
        c_in = width
    return nn.Sequential(*mods), c_in


class TorchIizuka(nn.Module):
    """The network: normalised L (n, 1, H, W) -> (ab (n, 2, H, W) in Lab units, logits (n, C))."""

    def __init__(self, config: IizukaConfig = CONFIGS["full"], num_classes: int = 205,
                 batch_norm: bool = True):  # fmt: skip
        super().__init__()
        self.global_size = config.global_size
        self.low, c_low = _convs(1, config.low, batch_norm)  # shared by both paths
        self.mid, c_mid = _convs(c_low, [(w, 1) for w in config.mid], batch_norm)
        self.global_convs, c_glob = _convs(c_low, config.global_convs, batch_norm)
        fc, n_in = [], (config.global_size // 32) ** 2 * c_glob
        for units in config.global_fc[:-1]:
            fc += _block(nn.Linear(n_in, units), units, batch_norm, nn.BatchNorm1d)
            n_in = units
        self.global_fc = nn.Sequential(*fc)
        self.global_last = nn.Sequential(*_block(nn.Linear(n_in, config.global_fc[-1]),
                                                 config.global_fc[-1], batch_norm, nn.BatchNorm1d))
        hidden = config.class_hidden
        self.classifier = nn.Sequential(
            *_block(nn.Linear(n_in, hidden), hidden, batch_norm, nn.BatchNorm1d),
            nn.Linear(hidden, num_classes))
        self.fusion = nn.Sequential(*_block(nn.Conv2d(config.global_fc[-1] + c_mid, config.fusion, 1),
                                            config.fusion, batch_norm))
        mods, c = [], config.fusion
        for i, width in enumerate(config.color, 1):
            mods += _block(nn.Conv2d(c, width, 3, padding=1), width, batch_norm)
            if i in config.upsample_after:
                mods.append(nn.Upsample(scale_factor=2, mode="nearest"))
            c = width
        mods += [nn.Conv2d(c, 2, 3, padding=1), nn.Sigmoid()]
        self.colorization = nn.Sequential(*mods)

    def forward(self, l_norm):
        local = self.mid(self.low(l_norm))
        g = F.interpolate(l_norm, size=(self.global_size,) * 2, mode="bilinear", antialias=True,
                          align_corners=False)  # fmt: skip
        g = self.global_fc(torch.flatten(self.global_convs(self.low(g)), 1))
        logits = self.classifier(g)
        vector = self.global_last(g)
        tiled = vector[:, :, None, None].expand(-1, -1, *local.shape[2:])
        s = self.colorization(self.fusion(torch.cat([tiled, local], dim=1)))
        s = F.interpolate(s, scale_factor=2, mode="bilinear", align_corners=False)
        return AB_SCALE * (2 * s - 1), logits


def parameter_count(module: nn.Module) -> int:
    """Weights and biases of the convolutions and linear layers (BatchNorm not counted)."""
    layers = [m for m in module.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    return sum(p.numel() for m in layers for p in m.parameters())


def rgb_to_lab(rgb):
    """uint8 RGB (..., 3) -> CIE Lab (..., 3), float32: :func:`chroma_lab.color.rgb_to_lab_ops`
    written with torch, from the constants of :mod:`chroma_lab.color` (checked by
    :func:`check_lab`)."""
    x = rgb.float() / 255.0
    knee = color._SRGB_KNEE
    linear = torch.where(x > knee, ((x.clamp(min=knee) + 0.055) / 1.055) ** 2.4, x / 12.92)
    matrix = torch.tensor((color.XYZ_FROM_RGB / color.D65_WHITE[:, None]).T, dtype=torch.float32,
                          device=rgb.device)  # fmt: skip
    t = linear @ matrix
    eps = color._LAB_EPSILON
    f = torch.where(t > eps, t.clamp(min=eps) ** (1.0 / 3.0), color._LAB_KAPPA_SLOPE * t + 16.0 / 116.0)
    fx, fy, fz = f.unbind(-1)
    return torch.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], dim=-1)


def check_lab(seed: int = 0) -> float:
    """Largest difference from :func:`chroma_lab.color.rgb_to_lab` on random pixels (Lab units)."""
    rgb = np.random.default_rng(seed).integers(0, 256, (4096, 3), dtype=np.uint8)
    ours = rgb_to_lab(torch.from_numpy(rgb)).numpy()
    diff = float(np.abs(ours - color.rgb_to_lab(rgb)).max())
    assert diff < 1e-3, f"torch Lab conversion differs from chroma_lab.color by {diff}"
    return diff


def check_against_keras(keras_network, config: IizukaConfig, num_classes: int) -> int:
    """Assert that the torch network has the Keras network's parameter count; return it."""
    from chroma_lab.models.iizuka2016 import parameter_count as keras_count

    ours, theirs = parameter_count(TorchIizuka(config, num_classes)), keras_count(keras_network)
    assert ours == theirs, f"torch reference has {ours:,} parameters, the Keras network {theirs:,}"
    return ours


def make_step(images, labels, config: IizukaConfig, num_classes: int, bfloat16: bool = False,
              alpha: float = IIZUKA_ALPHA):  # fmt: skip
    """One eager training step on one device batch, as a function returning the host loss.

    Parameters
    ----------
    images : ndarray of shape (n, H, W, 3), uint8
    labels : ndarray of shape (n,), int (-1 = unlabelled)
    """
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(0)
    model = TorchIizuka(config, num_classes).to(device).train()
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0, rho=0.95, eps=1e-6)
    rgb = torch.from_numpy(images).to(device)  # uint8 on the device, as the Keras benchmark
    target_labels = torch.from_numpy(np.asarray(labels, dtype=np.int64)).to(device)

    def step():
        lab = rgb_to_lab(rgb)
        l_norm = normalize_l(lab[..., :1]).permute(0, 3, 1, 2).contiguous()
        target = ab_to_unit(lab[..., 1:]).permute(0, 3, 1, 2)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bfloat16):
            ab, logits = model(l_norm)
        loss = F.mse_loss(ab_to_unit(ab.float()), target) + alpha * F.cross_entropy(
            logits.float(), target_labels, ignore_index=UNLABELLED)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.item()  # a host float: every step is synchronised, as train_on_batch

    return step


def time_training(images, labels, config: IizukaConfig, num_classes: int, steps: int, warmup: int,
                  repeats: int, bfloat16: bool = False, alpha: float = IIZUKA_ALPHA):  # fmt: skip
    """Seconds of ``repeats`` runs of ``steps`` steps of :func:`make_step`, and the last loss."""
    step = make_step(images, labels, config, num_classes, bfloat16, alpha)
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            loss = step()
        times.append(time.perf_counter() - start)
    return times, loss


if __name__ == "__main__":
    for size in ("full", "small"):
        count = parameter_count(TorchIizuka(CONFIGS[size]))
        print(f"{size:6s} {count:,} weights and biases (205 classes)")
    print(f"Lab conversion vs chroma_lab.color: max difference {check_lab():.2e}")
