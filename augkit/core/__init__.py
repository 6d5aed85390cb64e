"""Core machinery: transform base classes, pipelines, serialization, validation."""

from .pipeline import Compose, OneOf, SomeOf
from .serialize import from_dict, load, save, to_dict
from .transform import (
    AudioMeta,
    AudioTransform,
    CanvasTransform,
    GeometricTransform,
    Meta,
    PixelTransform,
    Transform,
    registry,
    stack_params,
    take_params,
)

__all__ = [
    "AudioMeta",
    "AudioTransform",
    "CanvasTransform",
    "Compose",
    "GeometricTransform",
    "Meta",
    "OneOf",
    "PixelTransform",
    "SomeOf",
    "Transform",
    "from_dict",
    "load",
    "registry",
    "save",
    "stack_params",
    "take_params",
    "to_dict",
]
