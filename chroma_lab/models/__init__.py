"""Colorizers. Each file is one model; all share the surface of :class:`base.Colorizer`."""

from chroma_lab.models.base import Colorizer, GrayColorizer

__all__ = ["Colorizer", "GrayColorizer"]
