"""Lesson 4: training curves."""

from __future__ import annotations

import numpy as np

from chroma_lab.errors import ChromaLabError
from chroma_lab.viz._common import _figure


def plot_loss_curves(histories, key: str = "loss", relative: bool = False, log: bool = False,
                     title: str | None = None):  # fmt: skip
    """Loss per epoch, one line per variant (validation values dashed, when logged).

    Parameters
    ----------
    histories : dict of str -> dict or keras History
        Per-variant training logs, e.g. ``{"one-hot": model.history_, "L1 on index": ...}``
        (``PaletteCNNColorizer.history_``, ``keras.callbacks.History.history`` or the History).
    key : str
        Which logged value to draw; ``"val_" + key`` is drawn dashed when present.
    relative : bool
        Divide each curve by its first value, so losses in different units (cross-entropy, L1 on
        an index, L2 on ab) can share an axis: what counts is how far each one falls.
    log : bool
        Logarithmic y axis.
    """
    fig = _figure(figsize=(6, 3.8))
    ax = fig.subplots()
    for i, (name, history) in enumerate(histories.items()):
        logs = getattr(history, "history", history)
        if key not in logs:
            raise ChromaLabError(f"histories[{name!r}] has no {key!r}; it logged {sorted(logs)}")
        colour = f"C{i % 10}"
        for k, style in ((key, "-"), ("val_" + key, "--")):
            if k not in logs:
                continue
            values = np.asarray(logs[k], dtype=float)
            if relative:
                values = values / values[0]
            epochs = np.arange(1, len(values) + 1)
            label = name if k == key else f"{name} (validation)"
            ax.plot(epochs, values, style, color=colour, marker="." if len(values) < 40 else None,
                    label=label)  # fmt: skip
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"{key} / first epoch" if relative else key)
    if log:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title or "Training loss per epoch", fontsize=10)
    return fig
