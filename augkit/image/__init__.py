"""Image transforms: geometric (masks, boxes and keypoints follow) and photometric.

Geometric: :class:`Rotate`, :class:`Scale`, :class:`Affine`, :class:`Perspective`,
:class:`HorizontalFlip`, :class:`VerticalFlip`, :class:`RandomRotate90`, :class:`Transpose`,
:class:`GridWarp`, :class:`ElasticWarp`, :class:`OpticalDistortion`, :class:`PiecewiseAffine`.
Photometric: :class:`ColorJitter`, :class:`Contrast`, :class:`Brightness`, :class:`Gamma`, :class:`Invert`,
:class:`ToGray`, :class:`Posterize`, :class:`Equalize`, :class:`CLAHE`,
:class:`Illumination` (uneven lighting), :class:`Shadow` (cast shadows). Blur and sharpening:
:class:`GaussianBlur`, :class:`Sharpen`, :class:`MotionBlur`, :class:`Defocus`,
:class:`ChromaticAberration` (lens colour fringes). Noise and degradations:
:class:`Downscale`, :class:`SensorNoise` (camera grain), :class:`GaussianNoise`, :class:`SaltPepper`,
:class:`JpegCompression`, :class:`Erode`, :class:`Dilate` (stroke thickness),
:class:`CoarseDropout` (occlusion). Crops and sizes (the canvas changes; targets follow): :class:`Crop`,
:class:`CenterCrop`, :class:`RandomCrop`, :class:`Pad`, :class:`PadIfNeeded`, :class:`Resize`,
:class:`RandomResizedCrop`, :class:`RandomSizedBBoxSafeCrop` (keeps every box), :class:`LongestMaxSize`,
:class:`SmallestMaxSize`.
"""

from .canvas import (
    CenterCrop,
    Crop,
    LongestMaxSize,
    Pad,
    PadIfNeeded,
    RandomCrop,
    RandomResizedCrop,
    RandomSizedBBoxSafeCrop,
    Resize,
    SmallestMaxSize,
)
from .color import (
    CLAHE,
    Brightness,
    ColorJitter,
    Contrast,
    Equalize,
    Gamma,
    Illumination,
    Invert,
    Posterize,
    Shadow,
    ToGray,
)
from .degrade import (
    ChromaticAberration,
    CoarseDropout,
    Defocus,
    Dilate,
    Downscale,
    Erode,
    JpegCompression,
    MotionBlur,
)
from .filters import GaussianBlur, Sharpen
from .geometric import Affine, HorizontalFlip, Perspective, RandomRotate90, Rotate, Scale, Transpose, VerticalFlip
from .noise import GaussianNoise, SaltPepper, SensorNoise
from .warps import ElasticWarp, GridWarp, OpticalDistortion, PiecewiseAffine

__all__ = [
    "CLAHE",
    "Affine",
    "Brightness",
    "CenterCrop",
    "ChromaticAberration",
    "CoarseDropout",
    "ColorJitter",
    "Contrast",
    "Crop",
    "Defocus",
    "Dilate",
    "Downscale",
    "ElasticWarp",
    "Equalize",
    "Erode",
    "Gamma",
    "GaussianBlur",
    "GaussianNoise",
    "GridWarp",
    "HorizontalFlip",
    "Illumination",
    "Invert",
    "JpegCompression",
    "LongestMaxSize",
    "MotionBlur",
    "OpticalDistortion",
    "Pad",
    "PadIfNeeded",
    "Perspective",
    "PiecewiseAffine",
    "Posterize",
    "RandomCrop",
    "RandomResizedCrop",
    "RandomRotate90",
    "RandomSizedBBoxSafeCrop",
    "Resize",
    "Rotate",
    "SaltPepper",
    "Scale",
    "SensorNoise",
    "Shadow",
    "Sharpen",
    "SmallestMaxSize",
    "ToGray",
    "Transpose",
    "VerticalFlip",
]
