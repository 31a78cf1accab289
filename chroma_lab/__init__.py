"""chroma_lab: a teaching package for automatic image colorization.

The modules build on each other in one direction::

    color -> quantize -> data -> losses / metrics -> models -> train / evaluate -> cli / lessons

``import chroma_lab`` stays light: nothing here imports Keras or TensorFlow.
"""

__version__ = "0.1.0"
