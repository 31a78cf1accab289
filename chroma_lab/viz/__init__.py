"""Figures. Every function returns a :class:`matplotlib.figure.Figure`; lessons and the CLI call
these instead of building plots inline, so a figure looks the same everywhere.

One module per lesson section; add new figures to the module of the lesson that introduces them,
and re-export them here. Import from the package (``from chroma_lab.viz import plot_bins``,
``viz.plot_bins``): which module holds a figure is not part of the interface.

=================  ==========================================================================
module             what lives there
=================  ==========================================================================
``_common``        ``save_figure``; the shared ``_figure`` (a Figure outside pyplot) and
                   ``_image_axis`` (an image panel without ticks)
``color_spaces``   lesson 1: ``plot_lab_decomposition`` (``AB_SHOWN``), ``ab_gamut_image``,
                   ``plot_ab_gamut``, ``plot_bins``
``palettes``       lesson 2: ``palette_swatches``, ``plot_palette``, ``plot_quantization_error``,
                   ``plot_image_row``, ``plot_image_grid``
``som_mlp``        lesson 3: ``plot_som_grid``, ``plot_colorizations`` (used by every later lesson)
``training``       lesson 4: ``plot_loss_curves``
``zhang2016``      lesson 5: ``plot_prior_and_weights``, ``plot_temperature_sweep``,
                   ``plot_rebalancing_effect`` (``RARE_PRIOR``), ``plot_temperature_scores``,
                   ``plot_accuracy_curves``
``iizuka2016``     lesson 6: ``plot_loss_terms``, ``plot_factor_grid``
``evaluation``     lesson 7, the evaluation harness: ``plot_metric_bars`` (the report's
                   ``metrics.png``)
``coherent``       lesson 7, coherent and colorful: ``at_lightness_50``, ``bleeding_map``,
                   ``plot_coherence_views``, ``plot_ablation_bars``
``hints``          lesson 8, user hints: ``hints_image``, ``plot_hint_curves``,
                   ``plot_hinted_colorizations``, ``plot_hint_sweep`` (the report's ``hints.png``)
=================  ==========================================================================

Imports flow one way: a lesson's module may use the shared helpers and an earlier lesson's
figures (``som_mlp`` draws with ``palettes``' grid, ``zhang2016`` with ``plot_colorizations``),
never a later one's.
"""

from chroma_lab.viz._common import save_figure
from chroma_lab.viz.coherent import at_lightness_50, bleeding_map, plot_ablation_bars, plot_coherence_views
from chroma_lab.viz.color_spaces import AB_SHOWN, ab_gamut_image, plot_ab_gamut, plot_bins, plot_lab_decomposition
from chroma_lab.viz.evaluation import plot_claim_intervals, plot_metric_bars
from chroma_lab.viz.hints import hints_image, plot_hint_curves, plot_hint_sweep, plot_hinted_colorizations
from chroma_lab.viz.iizuka2016 import plot_factor_grid, plot_loss_terms
from chroma_lab.viz.palettes import (palette_swatches, plot_image_grid, plot_image_row, plot_palette,
                                     plot_quantization_error)  # fmt: skip
from chroma_lab.viz.som_mlp import plot_colorizations, plot_som_grid
from chroma_lab.viz.training import plot_loss_curves
from chroma_lab.viz.zhang2016 import (RARE_PRIOR, plot_accuracy_curves, plot_prior_and_weights,
                                      plot_rebalancing_effect, plot_temperature_scores,
                                      plot_temperature_sweep)  # fmt: skip

__all__ = [
    # lesson 8: user hints
    "hints_image", "plot_hint_curves", "plot_hinted_colorizations", "plot_hint_sweep",
    # _common
    "save_figure",
    # lesson 1: colour spaces
    "AB_SHOWN", "plot_lab_decomposition", "ab_gamut_image", "plot_ab_gamut", "plot_bins",
    # lesson 2: palettes
    "palette_swatches", "plot_palette", "plot_quantization_error", "plot_image_row", "plot_image_grid",
    # lesson 3: SOM colour classes and patch classifiers
    "plot_som_grid", "plot_colorizations",
    # lesson 4: training curves
    "plot_loss_curves",
    # lesson 5: Zhang et al. 2016
    "plot_prior_and_weights", "plot_temperature_sweep", "RARE_PRIOR", "plot_rebalancing_effect",
    "plot_temperature_scores", "plot_accuracy_curves",
    # lesson 6: Iizuka et al. 2016
    "plot_loss_terms", "plot_factor_grid",
    # lesson 7: the evaluation harness; coherent and colorful
    "plot_metric_bars", "plot_claim_intervals",
    "at_lightness_50", "bleeding_map", "plot_coherence_views", "plot_ablation_bars",
]  # fmt: skip
