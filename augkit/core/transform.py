"""Transform base classes and the registry.

A transform is a frozen dataclass that holds configuration only. For a batch of ``n``
samples it draws every sample's parameters in one vectorized call,
``sample(rng, meta) -> dict of arrays with leading axis n``, and pure kernels apply them.
Three kinds exist:

* :class:`PixelTransform` — changes pixel values; masks, boxes and keypoints pass through.
  Implements ``apply_image(images, params, meta)``.
* :class:`GeometricTransform` — moves pixels. Implements either ``matrices(params, meta)``
  (one 3x3 forward matrix per sample) or ``field(params, meta)`` (an inverse displacement
  field). The pipeline fuses consecutive geometric transforms into one resampling and maps
  masks, boxes and keypoints through the same geometry.

* :class:`CanvasTransform` — changes the canvas size (crops, pads, resizes); every sample of
  a batch gets the same output size. Implements ``output_size(meta)``, ``matrices(params,
  meta)`` (to move boxes and keypoints) and ``apply_canvas(images, params, meta, is_mask)``.

* :class:`AudioTransform` — changes waveforms ``(n, C, T)``; implements
  ``apply_audio(audio, params, meta)`` with an :class:`AudioMeta`.

Subclasses register themselves by class name (``__init_subclass__``; audio ones as
``"audio.<name>"``) so that pipelines can be rebuilt from dictionaries.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from .validate import check_choice, check_fill, check_number, check_probability

if TYPE_CHECKING:
    from ..kernels.fields import DisplacementField

__all__ = [
    "AudioMeta",
    "AudioTransform",
    "CanvasTransform",
    "GeometricTransform",
    "Meta",
    "PixelTransform",
    "Transform",
    "registry",
    "stack_params",
    "take_params",
]

Params = dict[str, Any]

_REGISTRY: dict[str, type[Transform]] = {}


def registry() -> dict[str, type[Transform]]:
    """Return a copy of the name -> class registry of every concrete transform.

    Transforms of subpackages not imported yet (``augkit.audio``) appear once imported;
    :func:`augkit.load_all` imports them all.

    Examples
    --------
    >>> import augkit as ak
    >>> registry()["Rotate"] is ak.image.Rotate
    True
    >>> registry()["audio.Gain"] is ak.audio.Gain
    True
    """
    return dict(_REGISTRY)


@dataclass(frozen=True)
class Meta:
    """What a transform may know about the batch when drawing parameters.

    Attributes
    ----------
    n, height, width, channels : int
        Batch layout ``(n, height, width, channels)``.
    dtype : numpy.dtype
        Image dtype (uint8 or float32).
    labels : ndarray of shape (n,) or None
        Class label of each sample, when the call passed ``label=``.
    box_union : ndarray of shape (n, 4) or None
        For transforms with ``reads_boxes``: each sample's union of its boxes
        ``(x_min, y_min, x_max, y_max)`` in pixels (the boxes as the geometry so far left
        them, those still partly on the canvas), NaN for a sample without boxes; ``None``
        otherwise.

    Examples
    --------
    >>> meta = Meta(n=4, height=32, width=32, channels=3, dtype=np.dtype(np.uint8))
    >>> meta.take(np.array([0, 2])).n
    2
    """

    n: int
    height: int
    width: int
    channels: int
    dtype: np.dtype
    labels: NDArray | None = None
    box_union: NDArray | None = None

    def take(self, idx: NDArray) -> Meta:
        """Meta of the sub-batch ``idx``."""
        labels = None if self.labels is None else self.labels[idx]
        union = None if self.box_union is None else self.box_union[idx]
        return dataclasses.replace(self, n=len(idx), labels=labels, box_union=union)


def take_params(params: Params, idx: NDArray) -> Params:
    """Select samples ``idx`` from every array in a (nested) params dict.

    Examples
    --------
    >>> take_params({"angle": np.array([1.0, 2.0, 3.0])}, np.array([2]))
    {'angle': array([3.])}
    """
    out: Params = {}
    for key, value in params.items():
        if key == "children":
            out[key] = [take_params(child, idx) for child in value]
        elif key == "n":
            out[key] = len(idx)
        elif isinstance(value, np.ndarray) and value.ndim >= 1:
            out[key] = value[idx]
        else:
            out[key] = value
    return out


def stack_params(parts: list[Params]) -> Params:
    """Join params drawn for separate sub-batches into the params of their concatenation.

    The inverse of :func:`take_params`: ``stack_params([take_params(p, a), take_params(p, b)])``
    equals ``take_params(p, concatenate([a, b]))``.

    Examples
    --------
    >>> stack_params([{"n": 1, "angle": np.array([1.0])}, {"n": 2, "angle": np.array([2.0, 3.0])}])
    {'n': 3, 'angle': array([1., 2., 3.])}
    """
    if not parts:
        raise ValueError("stack_params needs at least one params dict")
    first = parts[0]
    out: Params = {}
    for key, value in first.items():
        if key == "children":
            out[key] = [stack_params([p["children"][i] for p in parts]) for i in range(len(value))]
        elif key == "n":
            out[key] = sum(p["n"] for p in parts)
        elif isinstance(value, np.ndarray) and value.ndim >= 1:
            out[key] = np.concatenate([p[key] for p in parts], axis=0)
        else:
            out[key] = value
    return out


@dataclass(frozen=True, kw_only=True)
class Transform:
    """Base class of every transform and container.

    Parameters
    ----------
    p : float
        Probability that the transform is applied, drawn independently for each sample.

    Notes
    -----
    A transform is a frozen dataclass that holds configuration only. A call draws the
    parameters of all N samples at once with ``sample(rng, meta)``; pure ``apply_*`` methods
    then apply them. Subclasses register themselves under :meth:`type_name` (see the guide
    "Writing your own transform").

    Examples
    --------
    >>> import augkit as ak
    >>> t = ak.image.Rotate(degrees_range=(-10, 10), p=0.5)
    >>> isinstance(t, Transform), t.type_name(), ak.audio.Gain.type_name()
    (True, 'Rotate', 'audio.Gain')
    >>> t(image=np.zeros((2, 8, 8, 3), np.uint8), rng=0)["image"].shape
    (2, 8, 8, 3)
    """

    p: float = field(default=1.0, kw_only=True)
    #: Prefix of the registered name ("" for images and containers, "audio" for audio).
    namespace: ClassVar[str] = ""

    @classmethod
    def type_name(cls) -> str:
        """The name under which the class is registered and serialized."""
        return f"{cls.namespace}.{cls.__name__}" if cls.namespace else cls.__name__

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if abstract:
            return
        name = cls.type_name()
        if name in _REGISTRY and _REGISTRY[name].__module__ != cls.__module__:
            raise TypeError(
                f"a transform named {name!r} is already registered by {_REGISTRY[name].__module__}; "
                "choose another class name"
            )
        _REGISTRY[name] = cls

    def __post_init__(self) -> None:
        self._set("p", check_probability("p", self.p))

    def _set(self, name: str, value: Any) -> None:
        """Store a validated/normalized value on the frozen instance (construction only)."""
        object.__setattr__(self, name, value)

    def sample(self, rng: np.random.Generator, meta: Meta) -> Params:
        """Draw the parameters of all ``meta.n`` samples at once (arrays with leading ``n``).

        Examples
        --------
        >>> import augkit as ak
        >>> meta = Meta(n=3, height=8, width=8, channels=3, dtype=np.dtype(np.uint8))
        >>> ak.image.Rotate(degrees_range=(-30, 30)).sample(np.random.default_rng(0), meta)["degrees"].shape
        (3,)
        """
        return {}

    # --- calling a lone transform: it behaves as a one-element pipeline -------------------
    def __call__(self, image: Any = None, *, rng: Any = None, return_params: bool = False, **data: Any) -> dict:
        """Apply to one image or a batch; see :meth:`augkit.Compose.__call__`."""
        return self._as_pipeline()(image, rng=rng, return_params=return_params, **data)

    def replay(self, params: Params, image: Any = None, **data: Any) -> dict:
        """Re-apply the draws in ``params`` (from ``return_params=True``) to new data.

        Examples
        --------
        >>> import augkit as ak
        >>> t = ak.image.Rotate(degrees_range=(-30, 30))
        >>> x = np.random.default_rng(0).integers(0, 255, (2, 8, 8, 3), dtype=np.uint8)
        >>> out = t(image=x, rng=1, return_params=True)
        >>> bool((t.replay(out["params"], image=x)["image"] == out["image"]).all())
        True
        """
        return self._as_pipeline().replay(params, image, **data)

    def _as_pipeline(self) -> Any:
        """A one-element :class:`~augkit.Compose` around this transform (built once, cached)."""
        pipe = self.__dict__.get("_pipeline")
        if pipe is None:
            from .pipeline import Compose

            pipe = Compose([self])
            object.__setattr__(self, "_pipeline", pipe)
        return pipe


@dataclass(frozen=True, kw_only=True)
class PixelTransform(Transform, abstract=True):
    """Base class of transforms that change pixel values only.

    Subclasses implement ``sample(rng, meta) -> params`` (one vectorized draw for the whole
    batch) and :meth:`apply_image`; masks, boxes and keypoints pass through unchanged.

    Examples
    --------
    The two steps of a call, done by hand on a batch of two:

    >>> import augkit as ak
    >>> t = ak.image.Brightness(delta_range=(0.1, 0.2))
    >>> meta = Meta(n=2, height=4, width=4, channels=3, dtype=np.dtype(np.uint8))
    >>> params = t.sample(np.random.default_rng(0), meta)
    >>> params["delta"].shape
    (2,)
    >>> t.apply_image(np.zeros((2, 4, 4, 3), np.uint8), params, meta)[:, 0, 0, 0]
    array([42, 32], dtype=uint8)
    """

    def apply_image(self, images: NDArray, params: Params, meta: Meta) -> NDArray:
        """Return new images ``(n, H, W, C)`` for the sub-batch described by ``params``."""
        raise NotImplementedError


INTERPOLATIONS = ("bilinear", "nearest")
BORDER_MODES = ("constant", "edge", "reflect")


@dataclass(frozen=True, kw_only=True)
class GeometricTransform(Transform, abstract=True):
    """Base class of transforms that move pixels.

    Parameters
    ----------
    interpolation : {"bilinear", "nearest"}
        Image resampling; masks always use nearest neighbour.
    border_mode : {"constant", "edge", "reflect"}
        What is read outside the source image.
    fill : float or tuple of float
        Image value outside the source with ``border_mode="constant"`` (per channel if a tuple).
    fill_mask : float
        Mask value outside the source with ``border_mode="constant"``.

    Notes
    -----
    Subclasses implement ``sample`` and either :meth:`matrices` (affine and projective maps,
    which consecutive transforms fuse into one resampling) or :meth:`field` (warps); pixels,
    masks, boxes and keypoints are all mapped through that same geometry.

    Examples
    --------
    >>> import augkit as ak
    >>> t = ak.image.Rotate(degrees_range=(90, 90))
    >>> meta = Meta(n=1, height=4, width=4, channels=1, dtype=np.dtype(np.uint8))
    >>> m = t.matrices(t.sample(np.random.default_rng(0), meta), meta)
    >>> np.round(m[0], 6) + 0.0
    array([[ 0.,  1.,  0.],
           [-1.,  0.,  4.],
           [ 0.,  0.,  1.]])
    """

    interpolation: str = "bilinear"
    border_mode: str = "constant"
    fill: float | tuple[float, ...] = 0.0
    fill_mask: float = 0.0
    #: Whether the transform's geometry is an exact permutation of the pixel grid (flips,
    #: quarter turns, transposes: copied exactly, never resampled), given by
    #: :meth:`permutation_flags`.
    permutes: ClassVar[bool] = False

    def __post_init__(self) -> None:
        super().__post_init__()
        check_choice("interpolation", self.interpolation, INTERPOLATIONS)
        check_choice("border_mode", self.border_mode, BORDER_MODES)
        self._set("fill", check_fill("fill", self.fill))
        self._set("fill_mask", check_number("fill_mask", self.fill_mask))

    @property
    def resampling_key(self) -> tuple:
        """Settings that must agree for two transforms to share one resampling.

        Examples
        --------
        >>> import augkit as ak
        >>> ak.image.Rotate().resampling_key == ak.image.Scale().resampling_key   # fused: one resampling
        True
        >>> ak.image.Rotate(fill=255).resampling_key == ak.image.Scale().resampling_key
        False
        """
        return (self.interpolation, self.border_mode, self.fill, self.fill_mask)

    def matrices(self, params: Params, meta: Meta) -> NDArray | None:
        """Forward 3x3 matrices ``(n, 3, 3)``, or ``None`` for a displacement-field warp."""
        return None

    def permutation_flags(self, params: Params) -> tuple[NDArray, NDArray, NDArray]:
        """For ``permutes`` transforms: per-sample ``(transpose, flip x, flip y)`` flags, ``(n,)`` each.

        The geometry is the transpose (rows and columns swapped) where set, then the flips
        (see :mod:`augkit.kernels.permute`).

        Examples
        --------
        >>> import augkit as ak
        >>> flip = ak.image.HorizontalFlip(p=1.0)
        >>> meta = Meta(n=2, height=4, width=4, channels=1, dtype=np.dtype(np.uint8))
        >>> transpose, flip_x, flip_y = flip.permutation_flags(flip.sample(np.random.default_rng(0), meta))
        >>> transpose.tolist(), flip_x.tolist(), flip_y.tolist()
        ([False, False], [True, True], [False, False])
        """
        raise NotImplementedError

    def field(self, params: Params, meta: Meta) -> DisplacementField:
        """Inverse displacement field for warps that are not matrices.

        Examples
        --------
        >>> import augkit as ak
        >>> warp = ak.image.GridWarp(num_steps=3, distort_limit=0.2)
        >>> meta = Meta(n=2, height=8, width=8, channels=1, dtype=np.dtype(np.uint8))
        >>> f = warp.field(warp.sample(np.random.default_rng(0), meta), meta)
        >>> f.nodes.shape                       # (n, grid height, grid width, (dx, dy)) in pixels
        (2, 4, 4, 2)
        """
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class CanvasTransform(Transform, abstract=True):
    """Base class of transforms that change the canvas size: crops, pads and resizes.

    A batch is one array, so every sample gets the same output size: ``p`` must be 1, and a
    canvas transform cannot sit where only some samples reach it (inside ``OneOf``/``SomeOf``
    or a container with ``p < 1``; the call says so). Queued geometric transforms are
    resampled before it; crops and pads copy pixels exactly, resizes resample once.

    Subclasses implement ``sample``, :meth:`output_size`, :meth:`matrices` (forward maps from
    the input canvas to the output canvas, for boxes and keypoints) and :meth:`apply_canvas`.

    Examples
    --------
    >>> import augkit as ak
    >>> crop = ak.image.RandomCrop(height=4, width=6)
    >>> meta = Meta(n=2, height=10, width=10, channels=1, dtype=np.dtype(np.uint8))
    >>> crop.output_size(meta)
    (4, 6)
    >>> params = crop.sample(np.random.default_rng(0), meta)
    >>> crop.apply_canvas(np.zeros((2, 10, 10, 1), np.uint8), params, meta, is_mask=False).shape
    (2, 4, 6, 1)
    >>> crop.matrices(params, meta)[:, :2, 2].tolist() == (-np.stack([params["x0"], params["y0"]], 1)).tolist()
    True
    """

    #: Whether ``sample`` reads ``meta.box_union`` (the runner then resamples queued geometry
    #: first, so that the boxes are where the pixels are).
    reads_boxes: ClassVar[bool] = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.p != 1.0:
            raise ValueError(f"{type(self).__name__} changes the image size, which must be the same for every "
                             f"sample of a batch: p must be 1.0, got {self.p!r}")

    def output_size(self, meta: Meta) -> tuple[int, int]:
        """``(height, width)`` of the output canvas for input batches described by ``meta``."""
        raise NotImplementedError

    def matrices(self, params: Params, meta: Meta) -> NDArray:
        """Forward 3x3 matrices ``(n, 3, 3)`` from input to output canvas (continuous coordinates)."""
        raise NotImplementedError

    def apply_canvas(self, images: NDArray, params: Params, meta: Meta, is_mask: bool) -> NDArray:
        """New images ``(n, H', W', C)`` (masks: ``is_mask=True``, nearest neighbour, ``fill_mask``)."""
        raise NotImplementedError


@dataclass(frozen=True)
class AudioMeta:
    """What an audio transform may know about the batch when drawing parameters.

    Attributes
    ----------
    n, channels, length : int
        Layout of the padded batch ``(n, channels, length)``.
    sample_rate : int
        Samples per second (Hz).
    lengths : ndarray of shape (n,)
        Valid samples of each clip; the rest of its row is zeros.
    sum_squares : ndarray of shape (n,) or None
        Each clip's sum of squared samples (all channels) when the call already measured
        it (while validating the input); ``None`` once a transform has changed the audio.

    Examples
    --------
    >>> meta = AudioMeta(n=2, channels=1, length=16000, sample_rate=16000, lengths=np.array([16000, 8000]))
    >>> meta.take(np.array([1])).lengths
    array([8000])
    """

    n: int
    channels: int
    length: int
    sample_rate: int
    lengths: NDArray
    labels: NDArray | None = None
    sum_squares: NDArray | None = None

    def take(self, idx: NDArray) -> AudioMeta:
        """Meta of the sub-batch ``idx``."""
        labels = None if self.labels is None else self.labels[idx]
        sums = None if self.sum_squares is None else self.sum_squares[idx]
        return dataclasses.replace(self, n=len(idx), lengths=self.lengths[idx], labels=labels, sum_squares=sums)


@dataclass(frozen=True, kw_only=True)
class AudioTransform(Transform, abstract=True):
    """Base class of waveform transforms (registered as ``"audio.<ClassName>"``).

    ``apply_audio`` receives float32 clips ``(n, C, T)`` (zero beyond each clip's length)
    and returns new ones; transforms that change clip lengths also override
    :meth:`output_lengths`.

    Examples
    --------
    >>> import augkit as ak
    >>> t = ak.audio.Gain(gain_db_range=(-6, -6))
    >>> meta = AudioMeta(n=1, channels=1, length=4, sample_rate=16000, lengths=np.array([4]))
    >>> params = t.sample(np.random.default_rng(0), meta)
    >>> t.apply_audio(np.ones((1, 1, 4), np.float32), params, meta).round(3)
    array([[[0.501, 0.501, 0.501, 0.501]]], dtype=float32)
    """

    namespace: ClassVar[str] = "audio"

    def apply_audio(self, audio: NDArray, params: Params, meta: AudioMeta) -> NDArray:
        """Return new clips ``(n, C, T')`` for the sub-batch described by ``params``."""
        raise NotImplementedError

    def output_lengths(self, params: Params, meta: AudioMeta) -> NDArray:
        """Valid length of each output clip (default: unchanged).

        Examples
        --------
        >>> import augkit as ak
        >>> slow = ak.audio.SpeedPerturb(factors=(0.5,))
        >>> meta = AudioMeta(n=1, channels=1, length=100, sample_rate=16000, lengths=np.array([100]))
        >>> slow.output_lengths(slow.sample(np.random.default_rng(0), meta), meta)
        array([200])
        """
        return meta.lengths
