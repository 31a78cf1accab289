"""Exercise checkers: compare a student's function with the library's reference on small inputs.

Every checker prints one line, ``PASS: ...`` or ``FAIL: ... Hint: ...``, and returns True or False.
A checker never raises: a function that still raises ``NotImplementedError`` (an untouched
exercise) gives ``FAIL: not implemented yet ...`` with no hint, and any other exception is reported
on the FAIL line, so a notebook runs to its end whatever the student wrote.

The machinery (the printed line, tolerant comparisons, "not tried yet") is in
:mod:`chroma_lab.checks._core`; the checkers of lesson NN are in ``chroma_lab/checks/lessonNN.py``
and re-exported here, so that a lesson writes ``checks.check_srgb_to_linear(srgb_to_linear)``.
"""

from chroma_lab.checks.lesson01 import check_gray, check_rgb_to_xyz, check_srgb_to_linear, check_xyz_to_lab
from chroma_lab.checks.lesson02 import (check_decode, check_encode, check_lookup_colorizer, check_palette_fit,
                                        lookup_table_reference)  # fmt: skip
from chroma_lab.checks.lesson03 import check_extract_patches, check_patch_mlp, check_som_classes
from chroma_lab.checks.lesson04 import check_crossentropy, check_index_losses, check_onehot, crossentropy_reference
from chroma_lab.checks.lesson05 import (check_annealed_mean, check_rebalance_weights, check_rebalanced_loss,
                                        check_soft_encode, rebalanced_crossentropy_reference)  # fmt: skip
from chroma_lab.checks.lesson06 import (check_fusion, check_iizuka_loss, check_resize_for_global, fuse_reference,
                                        iizuka_loss_reference, resize_bilinear_reference)  # fmt: skip
from chroma_lab.checks.lesson07 import (check_color_regularizer, check_gradient_loss, check_gradient_rebalancing,
                                        gradient_loss_reference, regularizer_reference)  # fmt: skip
from chroma_lab.checks.lesson08 import check_affinity_weights, check_guided_input, check_levin_solve, check_render_hints

__all__ = [
    "check_srgb_to_linear", "check_rgb_to_xyz", "check_xyz_to_lab", "check_gray",
    "check_palette_fit", "check_encode", "check_decode", "check_lookup_colorizer", "lookup_table_reference",
    "check_extract_patches", "check_som_classes", "check_patch_mlp",
    "check_onehot", "check_crossentropy", "check_index_losses", "crossentropy_reference",
    "check_soft_encode", "check_rebalance_weights", "check_annealed_mean", "check_rebalanced_loss",
    "rebalanced_crossentropy_reference",
    "check_fusion", "check_resize_for_global", "check_iizuka_loss",
    "fuse_reference", "resize_bilinear_reference", "iizuka_loss_reference",
    "check_gradient_loss", "check_color_regularizer", "check_gradient_rebalancing",
    "gradient_loss_reference", "regularizer_reference",
    "check_render_hints", "check_affinity_weights", "check_levin_solve", "check_guided_input",
]  # fmt: skip
