"""Image transforms: geometric (masks, boxes and keypoints follow) and photometric.

Geometric: :class:`Rotate`, :class:`Scale`, :class:`Affine`, :class:`Perspective`,
:class:`HorizontalFlip`, :class:`VerticalFlip`, :class:`GridWarp`, :class:`ElasticWarp`.
Photometric: :class:`Contrast`, :class:`Brightness`, :class:`Gamma`, :class:`Invert`,
:class:`ToGray`, :class:`Posterize`, :class:`Equalize`. Blur: :class:`GaussianBlur`. Noise: :class:`GaussianNoise`,
:class:`SaltPepper`.
"""

from .color import Brightness, Contrast, Equalize, Gamma, Invert, Posterize, ToGray
from .filters import GaussianBlur
from .geometric import Affine, HorizontalFlip, Perspective, Rotate, Scale, VerticalFlip
from .noise import GaussianNoise, SaltPepper
from .warps import ElasticWarp, GridWarp

__all__ = [
    "Affine",
    "Brightness",
    "Contrast",
    "ElasticWarp",
    "Equalize",
    "Gamma",
    "GaussianBlur",
    "GaussianNoise",
    "GridWarp",
    "HorizontalFlip",
    "Invert",
    "Perspective",
    "Posterize",
    "Rotate",
    "SaltPepper",
    "Scale",
    "ToGray",
    "VerticalFlip",
]
