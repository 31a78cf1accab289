"""A plain PyTorch eager version of lesson 4's palette CNN step: the speed reference.

The same network as :func:`chroma_lab.models.palette_cnn.build_palette_cnn` with the "onehot" loss
(3x3 convolution with ReLU, dropout, a 1x1 convolution scoring the palette classes) and the same
step as ``PaletteCNNColorizer``: uint8 gray in, normalised L* on the device, per-pixel softmax
cross-entropy against the palette class of each pixel, Adadelta (rho 0.95, epsilon 1e-6). Used by
``benchmarks/train_throughput.py --model palette --torch``; needs ``torch`` (not a chroma_lab
dependency).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from chroma_lab import color
from chroma_lab.color import normalize_l
from chroma_lab.models.palette_cnn import ADADELTA_EPSILON


def build(n_colors: int = 32, filters: int = 32, dropout: float = 0.25) -> nn.Sequential:
    """The network: normalised L (n, 1, H, W) -> class logits (n, n_colors, H, W)."""
    return nn.Sequential(nn.Conv2d(1, filters, 3, padding=1), nn.ReLU(), nn.Dropout(dropout),
                         nn.Conv2d(filters, n_colors, 1))  # fmt: skip


def lightness_from_gray(gray: torch.Tensor) -> torch.Tensor:
    """uint8 gray (n, H, W) -> L* (n, H, W): the Lab lightness of sRGB (v, v, v), in float32."""
    x = gray.float() / 255.0
    knee = color._SRGB_KNEE
    linear = torch.where(x > knee, ((x.clamp(min=knee) + 0.055) / 1.055) ** 2.4, x / 12.92)
    t = linear * float((color.XYZ_FROM_RGB[1]).sum())  # Y of a gray pixel (the white's Y is 1)
    eps = color._LAB_EPSILON
    f = torch.where(t > eps, t.clamp(min=eps) ** (1.0 / 3.0), color._LAB_KAPPA_SLOPE * t + 16.0 / 116.0)
    return 116.0 * f - 16.0


def make_step(gray, classes, n_colors: int = 32, filters: int = 32, dropout: float = 0.25,
              learning_rate: float = 2.0):  # fmt: skip
    """One eager training step on one batch, as a function returning the host loss.

    Parameters
    ----------
    gray : ndarray of shape (n, H, W), uint8
    classes : ndarray of shape (n, H, W), int
        The palette class of every pixel.
    """
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    net = build(n_colors, filters, dropout).to(device).train()
    optimizer = torch.optim.Adadelta(net.parameters(), lr=learning_rate, rho=0.95, eps=ADADELTA_EPSILON)
    gray = torch.from_numpy(np.asarray(gray, dtype=np.uint8)).to(device)
    target = torch.from_numpy(np.asarray(classes, dtype=np.int64)).to(device)

    def step():
        l_norm = normalize_l(lightness_from_gray(gray))[:, None]
        loss = F.cross_entropy(net(l_norm), target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.item()  # a host float: every step is synchronised, as train_on_batch

    return step


def check_lightness() -> float:
    """Largest difference from :func:`chroma_lab.color.gray_to_lightness` over the 256 grays."""
    gray = np.arange(256, dtype=np.uint8)
    diff = float(np.abs(lightness_from_gray(torch.from_numpy(gray)).numpy() - color.gray_to_lightness(gray)).max())
    assert diff < 1e-3, f"torch lightness differs from chroma_lab.color by {diff}"
    return diff


if __name__ == "__main__":
    print(f"lightness vs chroma_lab.color: max difference {check_lightness():.2e}")
