"""Pipelines: :class:`Compose`, :class:`OneOf` and :class:`SomeOf`.

Every container draws its decisions for all samples at once, so each sample of a batch
takes its own path (one sample rotated and warped, its neighbour only brightened).
Randomness: each call normalizes ``rng`` with :func:`numpy.random.default_rng` and gives
every child its own stream (a seed drawn from the parent opens it), so adding a transform
does not shift the draws of the others.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from ..kernels.streams import RowStreams, child_streams
from .audio_runner import parse_audio
from .data import KEYPOINT_POLICIES, build_outputs, parse_inputs, swap_mirrored_keypoints
from .runner import Runner
from .transform import CanvasTransform, Meta, Params, Transform
from .validate import check_choice, check_int, check_int_range, check_number, check_weights

__all__ = ["MASK_INTERPOLATIONS", "Compose", "OneOf", "SomeOf"]

#: How masks are resampled: like labels, or like the image (soft masks).
MASK_INTERPOLATIONS = ("nearest", "image")


def _check_transforms(name: str, transforms: Any) -> tuple[Transform, ...]:
    if isinstance(transforms, Transform) or not isinstance(transforms, (list, tuple)):
        raise TypeError(f"{name} must be a list of transforms, got {type(transforms).__name__}")
    for i, t in enumerate(transforms):
        if not isinstance(t, Transform):
            raise TypeError(f"{name}[{i}] must be an augkit transform, got {type(t).__name__}")
    return tuple(transforms)


def _check_flip_pairs(pairs: Any) -> tuple[tuple[Any, Any], ...]:
    """``keypoint_flip_pairs`` as a tuple of 2-tuples of distinct hashable labels, each label in one pair."""
    if isinstance(pairs, (str, bytes)) or not isinstance(pairs, (list, tuple)):
        raise TypeError(f"keypoint_flip_pairs must be a list of (label, label) pairs, got {pairs!r}")
    out, seen = [], set()
    for i, pair in enumerate(pairs):
        if isinstance(pair, (str, bytes)) or not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError(f"keypoint_flip_pairs[{i}] must be a (label, label) pair, got {pair!r}")
        a, b = pair
        try:
            hash(a), hash(b)
        except TypeError:
            raise TypeError(f"keypoint_flip_pairs[{i}] must hold hashable labels, got {pair!r}") from None
        if a == b or a in seen or b in seen:
            raise ValueError(f"keypoint_flip_pairs[{i}] = {pair!r}: each label may appear in one pair, "
                             "paired with a different label")
        seen.update((a, b))
        out.append((a, b))
    return tuple(out)


def _all_true(shape: int | tuple[int, ...]) -> NDArray[np.bool_]:
    """``np.ones(shape, dtype=bool)`` (which costs several times as much on a small call)."""
    out = np.empty(shape, dtype=bool)
    out.fill(True)
    return out


def _run_node(t: Transform, runner: Runner, rng: np.random.Generator | None, params: Params | None,
              reach: NDArray) -> Params:
    if params is not None:
        _check_replay(t, params, runner.meta.n)
    if isinstance(t, _Container):
        return t._run(runner, rng, params, reach)
    return runner.leaf(t, rng, params, reach)


def _check_replay(t: Transform, params: Any, n: int) -> None:
    if not isinstance(params, dict) or "active" not in params:
        raise ValueError(f"params for {type(t).__name__} are not params returned by return_params=True")
    if np.shape(params["active"]) != (n,):
        raise ValueError(f"params were drawn for a batch of {np.shape(params['active'])[0]} "
                         f"samples; this batch has {n}")
    if isinstance(t, _Container) and len(params.get("children", ())) != len(t.transforms):
        raise ValueError(f"params for {type(t).__name__} hold {len(params.get('children', ()))} children, "
                         f"the pipeline has {len(t.transforms)}")


def _torch_worker_key() -> tuple[int, int] | None:
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    try:
        info = torch.utils.data.get_worker_info()
    except (AttributeError, ImportError):  # pragma: no cover - torch without the data module
        return None
    return None if info is None else (int(info.id), int(info.seed))


class _Stream:
    """The random stream of a pipeline with ``seed=`` (not configuration; not copied).

    Created lazily on the first call and advanced by every call. Inside a PyTorch
    DataLoader worker it is re-derived from the worker's seed whenever that changes (new
    worker or new epoch), so workers never repeat each other's draws. A pickled or copied
    pipeline starts its stream afresh from ``seed``.
    """

    def __init__(self) -> None:
        self.gen: np.random.Generator | None = None
        self.key: tuple[int, int] | None = None

    def get(self, seed: int | None) -> np.random.Generator:
        key = _torch_worker_key()
        if self.gen is None or key != self.key:
            if key is None:
                self.gen = np.random.default_rng(seed)
            else:
                self.gen = np.random.default_rng([key[1] % (1 << 64), 0 if seed is None else seed, key[0]])
            self.key = key
        return self.gen

    def __getstate__(self) -> dict:
        return {}

    def __setstate__(self, state: dict) -> None:
        self.__init__()

    def __deepcopy__(self, memo: dict) -> _Stream:
        return _Stream()


class _DrawOnly:
    """A runner that draws every leaf's params and applies nothing (for :meth:`Compose.draw_params`)."""

    def __init__(self, meta: Meta) -> None:
        self.meta = meta

    def leaf(self, t: Transform, rng: np.random.Generator, params: Params | None, reach: NDArray) -> Params:
        drawn = {"active": reach & (rng.random(self.meta.n) < t.p), **t.sample(rng, self.meta)}
        if isinstance(t, CanvasTransform):  # later draws see the new canvas
            height, width = t.output_size(self.meta)
            self.meta = dataclasses.replace(self.meta, height=height, width=width)
        return drawn


@dataclass(frozen=True)
class _Container(Transform, abstract=True):
    """Shared behaviour of containers (not registered)."""

    transforms: tuple[Transform, ...]

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("transforms", _check_transforms("transforms", self.transforms))

    def _run(self, runner: Runner, rng: np.random.Generator | None, params: Params | None,
             reach: NDArray) -> Params:
        n = runner.meta.n
        if params is None:
            active = reach & (rng.random(n) < self.p)
            chosen = self._choose(rng, n)
            with child_streams(rng, len(self.transforms)) as (seeds, open_stream):
                children = [
                    _run_node(t, runner, open_stream(seed), None,
                              active & chosen[:, i] if self._selects else active)
                    for i, (t, seed) in enumerate(zip(self.transforms, seeds, strict=True))
                ]
            return {"active": active, "chosen": chosen, "children": children}
        children = [
            _run_node(t, runner, None, cp, params["active"])
            for t, cp in zip(self.transforms, params["children"], strict=True)
        ]
        return {"active": params["active"], "chosen": params.get("chosen"), "children": children}

    #: Whether :meth:`_choose` selects children (else every sample goes through all of them).
    _selects: ClassVar[bool] = False

    def _choose(self, rng: np.random.Generator, n: int) -> NDArray[np.bool_]:
        """Which children each sample goes through: bool ``(n, len(transforms))``."""
        return _all_true((n, len(self.transforms)))


@dataclass(frozen=True)
class Compose(_Container):
    """Apply transforms in order; the entry point for images and their targets.

    Parameters
    ----------
    transforms : list of Transform
        Applied in order. Consecutive geometric transforms are fused into one resampling.
    seed : int or None
        Seed of the pipeline's own random stream, used when a call passes no ``rng``.
        Successive calls continue the stream (so epochs differ) and the whole run is
        reproducible from the seed.
    p : float
        Probability, per sample, that the whole pipeline is applied.
    fuse_geometry : bool
        Resample once per run of consecutive geometric transforms (default), or once per
        transform (``False``; for comparison only).
    bbox_min_visibility : float
        Boxes keeping less than this fraction of their area (after clipping to the canvas)
        are dropped with their labels.
    bbox_min_area : float
        Boxes smaller than this many square pixels are dropped with their labels.
    keypoints_outside : {"drop", "flag"}
        Keypoints that leave the canvas are dropped (with their labels), or kept and
        flagged ``False`` in ``keypoints_visible``.
    mask_interpolation : {"nearest", "image"}
        ``"nearest"`` (label masks: values are never blended) or ``"image"``: masks are
        resampled exactly like the image (each transform's interpolation; ``fill_mask``
        outside), for soft masks such as alpha mattes or text coverage (uint8 or float).
    keypoint_flip_pairs : sequence of (label, label), optional
        Keypoint labels that name mirror-image parts, e.g. ``[("left_eye", "right_eye")]``.
        A flip turns a left eye into the right eye of the mirrored face: in every sample that
        an odd number of flips (``HorizontalFlip``, ``VerticalFlip``) reached, the keypoints of
        each pair exchange positions and visibility, so that each output row keeps its label
        and holds the point that now plays that part (fixed-order keypoint arrays stay in
        order). With several instances in an image, the k-th ``a`` pairs with the k-th ``b``.
        Needs ``keypoint_labels=`` in calls with keypoints.

    Notes
    -----
    ``seed``, ``bbox_min_visibility``, ``bbox_min_area``, ``keypoints_outside``,
    ``mask_interpolation`` and ``keypoint_flip_pairs`` are read from the pipeline that is
    called; a ``Compose`` nested inside another only groups transforms (with its own ``p``).

    Examples
    --------
    >>> import augkit as ak
    >>> pipe = ak.Compose([ak.image.Rotate(degrees_range=(-30, 30)),
    ...                    ak.image.Contrast(factor_range=(0.5, 1.5))], seed=0)
    >>> batch = np.zeros((8, 32, 32, 3), np.uint8)
    >>> out = pipe(image=batch, return_params=True)
    >>> out["image"].shape, out["params"]["children"][0]["degrees"].shape
    ((8, 32, 32, 3), (8,))
    """

    seed: int | None = None
    fuse_geometry: bool = True
    bbox_min_visibility: float = 0.0
    bbox_min_area: float = 0.0
    keypoints_outside: str = "drop"
    mask_interpolation: str = "nearest"
    keypoint_flip_pairs: tuple[tuple[Any, Any], ...] | None = None
    _stream: _Stream = field(default_factory=_Stream, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.seed is not None:
            self._set("seed", check_int("seed", self.seed, low=0))
        if not isinstance(self.fuse_geometry, bool):
            raise TypeError(f"fuse_geometry must be True or False, got {self.fuse_geometry!r}")
        self._set("bbox_min_visibility", check_number("bbox_min_visibility", self.bbox_min_visibility,
                                                      low=0.0, high=1.0))
        self._set("bbox_min_area", check_number("bbox_min_area", self.bbox_min_area, low=0.0))
        check_choice("keypoints_outside", self.keypoints_outside, KEYPOINT_POLICIES)
        check_choice("mask_interpolation", self.mask_interpolation, MASK_INTERPOLATIONS)
        if self.keypoint_flip_pairs is not None:
            self._set("keypoint_flip_pairs", _check_flip_pairs(self.keypoint_flip_pairs))

    def __call__(
        self,
        image: Any = None,
        *,
        mask: Any = None,
        bboxes: Any = None,
        bbox_format: str = "pascal_voc",
        bbox_labels: Any = None,
        keypoints: Any = None,
        keypoint_labels: Any = None,
        label: Any = None,
        audio: Any = None,
        sample_rate: int | None = None,
        lengths: Any = None,
        rng: np.random.Generator | int | None = None,
        return_params: bool = False,
    ) -> dict[str, Any]:
        """Augment one image or clip, or a batch, with independent random parameters per sample.

        Parameters
        ----------
        image : ndarray, PIL.Image.Image or list of ndarray
            ``(N,H,W,C)`` is a batch; ``(H,W)``, ``(H,W,C)`` or a PIL image is one image
            (PIL in, PIL out); a list of same-sized arrays is a batch (list in, list out).
            dtype uint8, or float32 with values in [0, 1].
        mask : ndarray, optional
            ``(H,W)``/``(H,W,K)`` for one image, ``(N,H,W)``/``(N,H,W,K)`` for a batch.
        bboxes : array-like or list of array-like, optional
            ``(M,4)`` boxes per image in ``bbox_format``; for a batch, a list per image.
        bbox_format : {"pascal_voc", "coco", "yolo"}
        bbox_labels : sequence or list of sequences, optional
            One label per box; dropped boxes take their labels with them.
        keypoints : array-like or list of array-like, optional
            ``(M,2)`` ``(x, y)`` points per image; pixel ``(r, c)`` has its centre at
            ``(c + 0.5, r + 0.5)``.
        keypoint_labels : sequence or list of sequences, optional
        label : object or sequence, optional
            The class label of the image (one per image for a batch), used by transforms
            such as ``HorizontalFlip(symmetric_labels=...)``.
        audio : ndarray or list of ndarray, optional
            Instead of ``image``: float samples (full scale 1.0). ``(T,)`` or ``(C, T)`` is
            one clip; ``(N, C, T)`` is a batch (with ``lengths`` if padded); a list of
            clips may differ in length. Outputs are float32.
        sample_rate : int
            Samples per second of ``audio`` (required with it).
        lengths : sequence of int, optional
            Valid samples of each clip of a padded ``(N, C, T)`` batch.
        rng : numpy.random.Generator, int or None
            Randomness for this call; ``None`` uses the pipeline's own stream.
        return_params : bool
            Also return the draws under ``"params"`` for :meth:`replay`.

        Returns
        -------
        dict
            ``"image"`` and, for each target given, ``"mask"``, ``"bboxes"``,
            ``"bbox_labels"``, ``"keypoints"``, ``"keypoints_visible"``,
            ``"keypoint_labels"``; plus ``"params"`` when asked. For audio: ``"audio"``,
            ``"sample_rate"`` and, for an ``(N, C, T)`` batch, ``"lengths"``.
        """
        runner, layout = self._start(image, mask=mask, bboxes=bboxes, bbox_format=bbox_format,
                                     bbox_labels=bbox_labels, keypoints=keypoints, keypoint_labels=keypoint_labels,
                                     label=label, audio=audio, sample_rate=sample_rate, lengths=lengths)
        gen = self._stream.get(self.seed) if rng is None else np.random.default_rng(rng)
        params = self._run(runner, gen, None, _all_true(runner.meta.n))
        return self._finish(runner, layout, params, return_params)

    def _start(self, image: Any, *, audio: Any = None, sample_rate: Any = None, lengths: Any = None,
               **data: Any) -> tuple[Any, Any]:
        if audio is None:
            if sample_rate is not None or lengths is not None:
                raise TypeError("sample_rate= and lengths= go with audio=; this call passed no audio")
            batch, layout = parse_inputs(image, **data)
            return Runner(batch, fuse=self.fuse_geometry, soft_masks=self.mask_interpolation == "image"), layout
        given = [k for k, v in data.items() if v is not None and k != "bbox_format"]
        if image is not None or given:
            raise TypeError(f"audio= cannot be combined with {['image', *given] if image is not None else given}")
        return parse_audio(audio, sample_rate, lengths)

    def draw_params(self, image_shape: tuple[int, ...], *, dtype: Any = np.uint8,
                    rng: np.random.Generator | int | None = None) -> Params:
        """The params a call on one image of ``image_shape`` would draw, without applying them.

        ``pipe.replay(pipe.draw_params(x.shape, rng=r), x)`` equals ``pipe(x, rng=r)``. Params
        drawn image by image (each with its own ``rng``) and joined with
        :func:`~augkit.core.transform.stack_params` replay on the batch in one vectorized call:
        each image's draws then depend on its own seed only, not on the batch around it.

        Examples
        --------
        >>> import augkit as ak
        >>> pipe = ak.Compose([ak.image.Rotate(degrees_range=(-30, 30))])
        >>> x = np.zeros((8, 8, 3), np.uint8)
        >>> p = pipe.draw_params(x.shape, rng=4)
        >>> bool((pipe.replay(p, image=x)["image"] == pipe(image=x, rng=4)["image"]).all())
        True
        """
        shape = tuple(int(v) for v in image_shape)
        if len(shape) not in (2, 3):
            raise ValueError(f"image_shape must be (H, W) or (H, W, C), got {image_shape!r}")
        meta = Meta(n=1, height=shape[0], width=shape[1], channels=shape[2] if len(shape) == 3 else 1,
                    dtype=np.dtype(dtype))
        gen = self._stream.get(self.seed) if rng is None else np.random.default_rng(rng)
        return {"n": 1, **self._run(_DrawOnly(meta), gen, None, _all_true(1))}

    def _draw_rows(self, image_shape: tuple[int, ...], rows: RowStreams, *, dtype: Any = np.uint8) -> Params:
        """The params of ``rows.n`` images of one shape, row ``i`` drawn from stream ``i`` alone
        (internal: the synthetic generator draws a size group's params in one pass; each
        sample's params equal those of its row drawn by itself)."""
        meta = Meta(n=rows.n, height=int(image_shape[0]), width=int(image_shape[1]),
                    channels=int(image_shape[2]) if len(image_shape) == 3 else 1, dtype=np.dtype(dtype))
        return {"n": rows.n, **self._run(_DrawOnly(meta), rows, None, _all_true(rows.n))}

    def replay(self, params: Params, image: Any = None, **data: Any) -> dict[str, Any]:
        """Apply the exact draws of an earlier call (``return_params=True``) to new data.

        Useful for paired data: the same geometry on an input and its target image.

        Examples
        --------
        >>> import augkit as ak
        >>> pipe = ak.Compose([ak.image.Rotate(degrees_range=(-30, 30))], seed=1)
        >>> x = np.zeros((4, 16, 16, 3), np.uint8)
        >>> out = pipe(image=x, return_params=True)
        >>> y = pipe.replay(out["params"], image=x)["image"]
        >>> bool((y == out["image"]).all())
        True
        """
        runner, layout = self._start(image, **data)
        n = runner.meta.n
        if not isinstance(params, dict) or params.get("n") != n:
            got = params.get("n") if isinstance(params, dict) else type(params).__name__
            raise ValueError(f"params were drawn for a batch of {got} samples; this batch has {n}")
        inner = {k: v for k, v in params.items() if k != "n"}
        _check_replay(self, inner, n)
        return self._finish(runner, layout, self._run(runner, None, inner, _all_true(n)), True)

    def _finish(self, runner: Any, layout: Any, params: Params, return_params: bool) -> dict[str, Any]:
        if isinstance(runner, Runner):
            runner.flush()
            if self.keypoint_flip_pairs:
                swap_mirrored_keypoints(runner.batch, layout, runner.mirrored, self.keypoint_flip_pairs)
            out = build_outputs(runner.batch, layout, min_visibility=self.bbox_min_visibility,
                                min_area=self.bbox_min_area, keypoints_outside=self.keypoints_outside)
        else:
            out = runner.finish(layout)
        if return_params:
            out["params"] = {"n": runner.meta.n, **params}
        return out


@dataclass(frozen=True)
class OneOf(_Container):
    """Apply exactly one of ``transforms`` to each sample, chosen per sample.

    Parameters
    ----------
    transforms : list of Transform
    weights : list of float or None
        Relative selection weights (default: equal). A chosen child still applies its own ``p``.
    p : float
        Probability, per sample, that any child is applied.

    Examples
    --------
    >>> import augkit as ak
    >>> pick = ak.OneOf([ak.image.HorizontalFlip(p=1), ak.image.VerticalFlip(p=1)], weights=[3, 1])
    >>> out = pick(image=np.zeros((4, 8, 8, 1), np.uint8), rng=0, return_params=True)
    >>> out["params"]["children"][0]["chosen"].sum(axis=1).tolist()
    [1, 1, 1, 1]
    """

    weights: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.transforms:
            raise ValueError("transforms must hold at least one transform")
        self._set("weights", check_weights("weights", self.weights, len(self.transforms)))

    _selects: ClassVar[bool] = True

    def _choose(self, rng: np.random.Generator, n: int) -> NDArray[np.bool_]:
        k = len(self.transforms)
        w = np.ones(k) if self.weights is None else np.asarray(self.weights)
        cum = np.cumsum(w / w.sum())
        pick = np.minimum(np.searchsorted(cum, rng.random(n), side="right"), k - 1)
        return pick[:, None] == np.arange(k)[None, :]


@dataclass(frozen=True)
class SomeOf(_Container):
    """Apply ``n`` distinct transforms (or a number drawn from a range) to each sample.

    The chosen transforms run in their list order.

    Parameters
    ----------
    transforms : list of Transform
    n : int or (int, int)
        How many to apply: a fixed count, or an inclusive range drawn per sample.
    weights : list of float or None
        Relative selection weights (weighted sampling without replacement).
    p : float
        Probability, per sample, that any child is applied.

    Examples
    --------
    >>> import augkit as ak
    >>> some = ak.SomeOf([ak.image.Brightness(), ak.image.Contrast(), ak.image.Gamma()], n=2)
    >>> out = some(image=np.zeros((5, 8, 8, 3), np.uint8), rng=0, return_params=True)
    >>> out["params"]["children"][0]["chosen"].sum(axis=1).tolist()
    [2, 2, 2, 2, 2]
    """

    n: int | tuple[int, int] = 1
    weights: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        k = len(self.transforms)
        if isinstance(self.n, (list, tuple)):
            self._set("n", check_int_range("n", self.n, low=0, high=k))
        else:
            self._set("n", check_int("n", self.n, low=0, high=k))
        self._set("weights", check_weights("weights", self.weights, k))

    _selects: ClassVar[bool] = True

    def _choose(self, rng: np.random.Generator, n: int) -> NDArray[np.bool_]:
        k = len(self.transforms)
        lo, hi = self.n if isinstance(self.n, tuple) else (self.n, self.n)
        w = np.ones(k) if self.weights is None else np.asarray(self.weights)
        counts = np.minimum(rng.integers(lo, hi + 1, size=n), int((w > 0).sum()))
        with np.errstate(divide="ignore"):
            keys = np.log(rng.random((n, k))) / w[None, :]  # Efraimidis-Spirakis keys, largest win
        order = np.argsort(-keys, axis=1, kind="stable")
        ranks = np.empty_like(order)
        np.put_along_axis(ranks, order, np.arange(k)[None, :].repeat(n, axis=0), axis=1)
        return ranks < counts[:, None]
