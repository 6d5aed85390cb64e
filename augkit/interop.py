"""albumentations interop (``augkit[albumentations]``; albumentations 2.0 API, duck-typed).

* :class:`Albumentations` puts an albumentations pixel-level transform inside an augkit
  pipeline: it runs image by image (albumentations has no batch path) with a seed drawn per
  sample, so it replays and serializes like any augkit transform; masks, boxes and keypoints
  pass through unchanged.
* :func:`to_albumentations` wraps an augkit pipeline as an ``A.ImageOnlyTransform`` for an
  ``A.Compose``; its randomness comes from albumentations' generator (``A.Compose(seed=...)``).
* :func:`from_albumentations` converts an albumentations pipeline (object, dict, or the JSON/YAML
  file ``A.save`` writes) into an augkit one where every transform has a counterpart, and says
  which do not.

No albumentations code is copied; albumentations is imported only when these are used.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import image as I
from .core.pipeline import Compose, OneOf, SomeOf
from .core.transform import Meta, Params, PixelTransform, Transform

__all__ = ["Albumentations", "UnsupportedTransforms", "from_albumentations", "to_albumentations"]


def _albumentations() -> Any:
    try:
        import albumentations
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError('albumentations interop needs albumentations: pip install "augkit[albumentations]"') from err
    return albumentations


@dataclass(frozen=True, kw_only=True)
class Albumentations(PixelTransform):
    """An albumentations pixel-level transform (``A.ImageOnlyTransform``) inside an augkit pipeline.

    Parameters
    ----------
    transform : albumentations transform or dict
        The transform, or its ``A.to_dict`` form (what this object stores and serializes). Its
        own ``p`` is set to 1: this wrapper's ``p`` decides, per sample, as in augkit.

    Examples
    --------
    >>> import albumentations as A, augkit as ak
    >>> pipe = ak.Compose([ak.image.Rotate(), Albumentations(transform=A.Blur(blur_limit=(3, 5)))])
    >>> pipe(image=np.zeros((2, 16, 16, 3), np.uint8), rng=0)["image"].shape
    (2, 16, 16, 3)
    """

    transform: Any = None
    _instance: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        A = _albumentations()
        spec = self.transform
        if isinstance(spec, dict):
            obj = A.from_dict({"transform": spec} if "__class_fullname__" in spec else spec)
        else:
            obj = A.from_dict(A.to_dict(spec))  # a copy: the caller's object is not changed
        if not isinstance(obj, A.ImageOnlyTransform):
            raise TypeError(f"transform must be an albumentations pixel-level transform (A.ImageOnlyTransform), "
                            f"got {type(obj).__name__}: geometric transforms move targets with albumentations' own "
                            "logic; use augkit's counterpart (see from_albumentations)")
        obj.p = 1.0  # whether a sample is transformed is this wrapper's p, drawn by augkit
        spec = A.to_dict(obj)["transform"]
        self._set("transform", json.loads(json.dumps(spec)))  # plain, JSON-ready, comparable
        self._set("_instance", obj)

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        return {"seed": rng.integers(0, 2**31 - 1, size=meta.n)}

    def apply_image(self, images: NDArray, params: Params, meta: Meta) -> NDArray:
        t = self._instance
        out = np.empty_like(images)
        for i, seed in enumerate(params["seed"].tolist()):
            t.set_random_seed(int(seed))
            img = images[i, ..., 0] if images.shape[-1] == 1 else images[i]
            out[i] = t(image=img)["image"].reshape(out[i].shape).astype(images.dtype, copy=False)
        return out


def to_albumentations(pipeline: Compose, p: float = 1.0) -> Any:
    """An ``A.ImageOnlyTransform`` that applies ``pipeline`` to the image (for an ``A.Compose``).

    Examples
    --------
    >>> import albumentations as A, augkit as ak
    >>> comp = A.Compose([A.HorizontalFlip(), to_albumentations(ak.Compose([ak.image.GridWarp()]))], seed=0)
    >>> comp(image=np.zeros((16, 16, 3), np.uint8))["image"].shape
    (16, 16, 3)
    """
    if not isinstance(pipeline, Transform):
        raise TypeError(f"pipeline must be an augkit transform or Compose, got {type(pipeline).__name__}")
    A = _albumentations()

    class AugkitTransform(A.ImageOnlyTransform):
        """An augkit pipeline as an albumentations pixel-level transform."""

        def __init__(self, pipe: Transform, p: float = 1.0) -> None:
            super().__init__(p=p)
            self.pipe = pipe

        def get_params_dependent_on_data(self, params: dict, data: dict) -> dict:
            return {"augkit_seed": int(self.random_generator.integers(0, 2**63 - 1))}

        def apply(self, img: NDArray, augkit_seed: int = 0, **params: Any) -> NDArray:
            return self.pipe(image=img, rng=augkit_seed)["image"]

        def get_transform_init_args_names(self) -> tuple[str, ...]:
            return ()

    return AugkitTransform(pipeline, p=p)


class UnsupportedTransforms(ValueError):
    """Raised by :func:`from_albumentations` listing the transforms without a counterpart.

    Examples
    --------
    >>> spec = {"transform": {"__class_fullname__": "Compose",
    ...                       "transforms": [{"__class_fullname__": "CLAHE", "p": 1.0}]}}
    >>> try:
    ...     from_albumentations(spec)
    ... except UnsupportedTransforms as err:
    ...     print(err)
    no augkit counterpart for: CLAHE (wrap pixel-level ones with augkit.interop.Albumentations)
    """


def _sym(v: Any) -> tuple[float, float]:
    """albumentations' ``limit``: a number ``x`` means ``(-x, x)``; a pair is kept."""
    if isinstance(v, (int, float)):
        return -abs(float(v)), abs(float(v))
    return float(v[0]), float(v[1])


def _span(v: Any) -> tuple[float, float]:
    """A number ``x`` means ``(x, x)``; a pair is kept."""
    if isinstance(v, (int, float)):
        return float(v), float(v)
    return float(v[0]), float(v[1])


def _ints(v: Any) -> tuple[int, int]:
    lo, hi = _span(v)
    return int(lo), int(hi)


def _convert(spec: dict, missing: list[str]) -> Transform | None:
    name = spec.get("__class_fullname__", "").rsplit(".", 1)[-1]
    p = float(spec.get("p", 1.0))
    if name in ("Compose", "OneOf", "SomeOf", "Sequential"):
        children = [c for c in (_convert(t, missing) for t in spec.get("transforms", [])) if c is not None]
        if name == "OneOf":
            return OneOf(children, p=p)
        if name == "SomeOf":
            return SomeOf(children, n=int(spec.get("n", 1)), p=p)
        return Compose(children, p=p)
    table: dict[str, Any] = {
        "HorizontalFlip": lambda s: I.HorizontalFlip(p=p),
        "VerticalFlip": lambda s: I.VerticalFlip(p=p),
        "Rotate": lambda s: I.Rotate(degrees_range=_sym(s.get("limit", 90)), p=p),
        "Affine": _affine,
        "RandomGamma": lambda s: I.Gamma(gamma_range=tuple(v / 100 for v in _span(s.get("gamma_limit", (80, 120)))),
                                         p=p),
        "GaussianBlur": lambda s: I.GaussianBlur(sigma_range=_span(s.get("sigma_limit", (0.5, 3.0))), p=p),
        "GaussNoise": lambda s: I.GaussianNoise(std_range=_span(s.get("std_range", (0.2, 0.44))), p=p),
        "InvertImg": lambda s: I.Invert(p=p),
        "ToGray": lambda s: I.ToGray(p=p),
        "Equalize": lambda s: I.Equalize(p=p),
        "Posterize": lambda s: I.Posterize(bits_range=_ints(s.get("num_bits", 4)), p=p),
        "GridDistortion": lambda s: I.GridWarp(num_steps=int(s.get("num_steps", 5)),
                                               distort_limit=max(map(abs, _sym(s.get("distort_limit", 0.3)))), p=p),
        "ElasticTransform": lambda s: I.ElasticWarp(alpha=float(s.get("alpha", 1.0)),
                                                    sigma=float(s.get("sigma", 50.0)), p=p),
        "ImageCompression": lambda s: I.JpegCompression(quality_range=_ints(s.get("quality_range", (99, 100))), p=p),
        "MotionBlur": lambda s: I.MotionBlur(length_px_range=_ints(s.get("blur_limit", (3, 7))), p=p),
        "CoarseDropout": lambda s: I.CoarseDropout(
            holes_range=_ints(s.get("num_holes_range", (1, 2))), size_fraction_range=_span(s.get("hole_height_range",
                                                                                                (0.1, 0.2))),
            fill="random" if isinstance(s.get("fill", 0), str) else s.get("fill", 0), p=p),
    }
    table["RandomBrightnessContrast"] = lambda s: _brightness_contrast(s, p)
    table["Morphological"] = lambda s: _morphological(s, p)
    if name in table:
        return table[name](spec)
    missing.append(name or "<no __class_fullname__>")
    return None


def _axis(v: Any, axis: str, default: Any) -> Any:
    """albumentations 2 stores per-axis ranges as ``{"x": [...], "y": [...]}``."""
    if isinstance(v, dict):
        return v.get(axis, default)
    return default if v is None else v


def _affine(spec: dict) -> Transform:
    p = float(spec.get("p", 1.0))
    translate = spec.get("translate_percent")
    kwargs: dict[str, Any] = {
        "degrees_range": _sym(spec.get("rotate", 0)),
        "scale_range": _span(_axis(spec.get("scale", 1.0), "x", 1.0)),  # augkit scales both axes alike
        "shear_degrees_range": _sym(_axis(spec.get("shear", 0), "x", 0)),
        "shear_y_degrees_range": _sym(_axis(spec.get("shear", 0), "y", 0)),
    }
    if translate is not None:
        kwargs["translate_range"] = _sym(_axis(translate, "x", 0))
    return I.Affine(**kwargs, p=p)


def _brightness_contrast(spec: dict, p: float) -> Compose:
    b, c = _sym(spec.get("brightness_limit", 0.2)), _sym(spec.get("contrast_limit", 0.2))
    return Compose([I.Brightness(delta_range=b), I.Contrast(factor_range=(1 + c[0], 1 + c[1]))], p=p)


def _morphological(spec: dict, p: float) -> Transform:
    hi = max(_ints(spec.get("scale", (2, 3))))  # albumentations: kernel size; augkit: disk radius
    cls = I.Erode if spec.get("operation", "dilation") == "erosion" else I.Dilate
    return cls(radius_px_range=(1, max(1, hi // 2)), p=p)


def from_albumentations(pipeline: Any, *, strict: bool = True) -> tuple[Compose, list[str]]:
    """Convert an albumentations pipeline to augkit; return ``(pipeline, unsupported names)``.

    ``pipeline`` is an ``A.Compose`` (or any transform), a dict from ``A.to_dict``, or the
    path of a JSON/YAML file written by ``A.save``. Parameters are mapped to augkit's ranges
    (e.g. ``Rotate(limit=30)`` -> ``Rotate(degrees_range=(-30, 30))``). With ``strict`` a
    transform without a counterpart raises :class:`UnsupportedTransforms` naming them all;
    otherwise it is left out and named in the returned list.

    Examples
    --------
    >>> spec = {"transform": {"__class_fullname__": "Compose", "p": 1.0, "transforms": [
    ...     {"__class_fullname__": "Rotate", "limit": [-30, 30], "p": 0.5},
    ...     {"__class_fullname__": "CLAHE", "p": 1.0}]}}
    >>> pipe, missing = from_albumentations(spec, strict=False)
    >>> type(pipe.transforms[0]).__name__, pipe.transforms[0].degrees_range, missing
    ('Rotate', (-30.0, 30.0), ['CLAHE'])
    """
    if isinstance(pipeline, (str, os.PathLike)):
        path = os.fspath(pipeline)
        with open(path, encoding="utf-8") as fh:
            if path.endswith((".yaml", ".yml")):
                import yaml

                spec = yaml.safe_load(fh)
            else:
                spec = json.load(fh)
    elif isinstance(pipeline, dict):
        spec = pipeline
    else:
        spec = _albumentations().to_dict(pipeline)
    spec = spec.get("transform", spec)
    missing: list[str] = []
    converted = _convert(spec, missing)
    if missing and strict:
        raise UnsupportedTransforms(f"no augkit counterpart for: {', '.join(sorted(set(missing)))} "
                                    "(wrap pixel-level ones with augkit.interop.Albumentations)")
    if not isinstance(converted, Compose):
        converted = Compose([] if converted is None else [converted])
    return converted, missing
