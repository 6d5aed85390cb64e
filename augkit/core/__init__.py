"""Core machinery: transform base classes, pipelines, serialization, validation."""

from .pipeline import Compose, OneOf, SomeOf
from .serialize import from_dict, load, save, to_dict
from .transform import GeometricTransform, Meta, PixelTransform, Transform, registry, take_params

__all__ = [
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
    "take_params",
    "to_dict",
]
