"""Image transforms: geometric (masks, boxes and keypoints follow) and photometric.

Geometric: :class:`Rotate`, :class:`Scale`, :class:`Affine`, :class:`Perspective`,
:class:`HorizontalFlip`, :class:`VerticalFlip`, :class:`GridWarp`, :class:`ElasticWarp`.
Photometric: :class:`Contrast`, :class:`Brightness`, :class:`Gamma`.
"""

from .color import Brightness, Contrast, Gamma
from .geometric import Affine, HorizontalFlip, Perspective, Rotate, Scale, VerticalFlip
from .warps import ElasticWarp, GridWarp

__all__ = [
    "Affine",
    "Brightness",
    "Contrast",
    "ElasticWarp",
    "Gamma",
    "GridWarp",
    "HorizontalFlip",
    "Perspective",
    "Rotate",
    "Scale",
    "VerticalFlip",
]
