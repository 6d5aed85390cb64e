"""PyTorch integration: worker seeding and batch augmentation at collate time (``augkit[torch]``).

torch is imported only when these are used; ``import augkit`` never imports it.

**Randomness in DataLoader workers.** A ``Compose`` held by a ``Dataset`` re-derives its
stream from ``torch.utils.data.get_worker_info()`` (the worker's id and seed) whenever they
change, so every worker and every epoch draws differently, and the whole run is reproducible
from ``torch.manual_seed`` (and the pipeline's ``seed``). A ``numpy.random.Generator`` stored in
a ``Dataset`` does not behave so — it is copied into every worker and repeats the same draws in
each worker and epoch. For your own NumPy/``random`` code, pass :func:`worker_init_fn` to the
``DataLoader``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .core.pipeline import Compose

__all__ = ["BatchAugment", "worker_init_fn"]


def worker_init_fn(worker_id: int) -> None:
    """Seed Python's ``random`` and NumPy's global state from the worker's torch seed.

    augkit itself never uses the global state (its pipelines derive their own streams per
    worker); this is for the rest of the user's ``__getitem__`` code, as the PyTorch
    reproducibility notes recommend.

    Examples
    --------
    Pass it to the loader: ``DataLoader(ds, num_workers=2, worker_init_fn=worker_init_fn)``.

    >>> callable(worker_init_fn)
    True
    """
    import random

    import torch

    seed = int(torch.initial_seed()) % (1 << 32)
    random.seed(seed)
    np.random.seed(seed)


class BatchAugment:
    """A picklable ``collate_fn``: augment the whole batch in one vectorized call, in the worker.

    The images of the samples (``(H, W, C)`` or ``(H, W)`` NumPy arrays of one size) are
    stacked, run through ``pipeline`` with independent draws per sample, and handed to torch
    without a copy (``torch.from_numpy``, layout ``(N, H, W, C)``; ``channels_first=True`` gives
    an ``(N, C, H, W)`` view). The other fields are collated by ``base`` (``default_collate``).

    Parameters
    ----------
    pipeline : Compose
    key : int or str
        Where the image is in each sample: a position (tuples/lists) or a key (dicts).
        Samples that are bare arrays are the images themselves.
    base : callable or None
        Collate function for the other fields (default: ``torch.utils.data.default_collate``).
    channels_first : bool

    Examples
    --------
    >>> import augkit as ak
    >>> collate = BatchAugment(ak.Compose([ak.image.HorizontalFlip()], seed=0))
    >>> loader = torch.utils.data.DataLoader(ds, batch_size=64, collate_fn=collate)  # doctest: +SKIP
    """

    def __init__(self, pipeline: Compose, key: int | str = 0, base: Callable | None = None, *,
                 channels_first: bool = False) -> None:
        if not isinstance(pipeline, Compose):
            raise TypeError(f"pipeline must be an augkit.Compose, got {type(pipeline).__name__}")
        self.pipeline, self.key, self.base, self.channels_first = pipeline, key, base, channels_first

    def __call__(self, samples: Sequence[Any]) -> Any:
        import torch
        from torch.utils.data import default_collate

        base = self.base or default_collate
        if not samples:
            raise ValueError("BatchAugment got an empty batch")
        first = samples[0]
        if isinstance(first, np.ndarray):
            images, rest = list(samples), None
        elif isinstance(first, dict):
            images = [s[self.key] for s in samples]
            rest = base([{k: v for k, v in s.items() if k != self.key} for s in samples])
        elif isinstance(first, (tuple, list)):
            images = [s[self.key] for s in samples]
            rest = base([tuple(v for j, v in enumerate(s) if j != self.key) for s in samples])
        else:
            raise TypeError(f"samples must be arrays, tuples or dicts, got {type(first).__name__}")
        for i, img in enumerate(images):
            if not isinstance(img, np.ndarray):
                raise TypeError(f"sample {i}: the image must be a NumPy array, got {type(img).__name__}")
        batch = np.stack(images)
        grey = batch.ndim == 3  # (N, H, W): give it a channel axis, or it reads as one (H, W, C) image
        out = self.pipeline(image=batch[..., None] if grey else batch)["image"]
        if grey:
            out = out[..., 0]
        tensor = torch.from_numpy(np.ascontiguousarray(out))
        if tensor.ndim == 4 and self.channels_first:
            tensor = tensor.permute(0, 3, 1, 2)
        if rest is None:
            return tensor
        if isinstance(first, dict):
            return {**rest, self.key: tensor}
        rest = list(rest)
        rest.insert(self.key, tensor)
        return rest
