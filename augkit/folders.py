"""Augmenting folders on disk (``augkit augment``) and previewing a pipeline (``augkit preview``).

Every file gets ``copies`` augmented versions, named after it (``<name>__aug<k>.<ext>``, in the
same relative folder), so each output traces back to its source. The draws of a file depend
only on the seed, the file's relative path and the copy number — not on which other files are
in the folder or in what order they are processed. Nothing that exists is overwritten unless
asked; the resolved pipeline, seed and file list are written to ``augment_manifest.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from .core.pipeline import Compose
from .core.serialize import to_dict

__all__ = ["IMAGE_EXTENSIONS", "augment_folder", "preview_grid"]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")


def _file_seed(seed: int, rel: str) -> int:
    digest = hashlib.sha256(f"{seed}\0{rel}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def _plan(root: Path, out: Path, copies: int) -> list[tuple[Path, str, list[Path]]]:
    from .audio.io import audio_extensions

    exts = IMAGE_EXTENSIONS + audio_extensions()
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in exts)
    if not files:
        raise ValueError(f"no image or audio files in {root} (looked for {', '.join(exts)})")
    plan = []
    for src in files:
        rel = src.relative_to(root)
        targets = [out / rel.parent / f"{src.stem}__aug{k}{src.suffix}" for k in range(copies)]
        plan.append((src, rel.as_posix(), targets))
    return plan


def _augment_image(pipe: Compose, src: Path, targets: list[Path], seed: int) -> None:
    from PIL import Image

    with Image.open(src) as im:
        mode = im.mode if im.mode in ("L", "RGB", "RGBA") else "RGB"
        arr = np.asarray(im.convert(mode))
    batch = np.repeat((arr[..., None] if arr.ndim == 2 else arr)[None], len(targets), axis=0)
    out = pipe(image=batch, rng=seed)["image"]  # one call: every copy draws its own params
    for img, path in zip(out, targets, strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img[..., 0] if mode == "L" else img, mode=mode).save(path)


def _augment_audio(pipe: Compose, src: Path, targets: list[Path], seed: int) -> None:
    import soundfile

    from .audio.io import load, save

    clip, rate = load(src)
    info = soundfile.info(str(src))
    out = pipe(audio=[clip] * len(targets), sample_rate=rate, rng=seed)["audio"]
    for clip_out, path in zip(out, targets, strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        peak = float(np.abs(clip_out).max(initial=0.0))
        scaled = clip_out / peak if peak > 1.0 and not info.subtype.startswith(("FLOAT", "DOUBLE")) else clip_out
        save(path, scaled, rate, subtype=info.subtype)  # scaled into range, never clipped, for integer formats


def _augment_one(pipeline: Compose, path: Path, targets: list[Path], seed: int) -> None:
    if path.suffix.lower() in IMAGE_EXTENSIONS:
        _augment_image(pipeline, path, targets, seed)
    else:
        _augment_audio(pipeline, path, targets, seed)


def augment_folder(pipeline: Compose, src: str | os.PathLike, out: str | os.PathLike, *, copies: int = 1,
                   seed: int = 0, overwrite: bool = False, quiet: bool = False, workers: int = 1,
                   executor: Executor | None = None) -> dict[str, Any]:
    """Write ``copies`` augmented versions of every image and audio file under ``src`` into ``out``.

    Images keep their format and colour mode; audio keeps its rate and sample format (a clip
    pushed beyond full scale is scaled back, never clipped, for integer formats). Files run in
    this process, in ``workers`` processes, or on ``executor`` (any
    ``concurrent.futures.Executor``, e.g. a Dask ``Client.get_executor()``); the outputs are the
    same either way. Returns the manifest also written as ``out/augment_manifest.json``.

    Examples
    --------
    >>> import tempfile
    >>> from PIL import Image
    >>> import augkit as ak
    >>> src, dst = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp())
    >>> Image.new("RGB", (16, 12), "red").save(src / "a.png")
    >>> m = augment_folder(ak.Compose([ak.image.Rotate()]), src, dst, copies=2, quiet=True)
    >>> sorted(p.name for p in dst.glob("*.png"))
    ['a__aug0.png', 'a__aug1.png']
    """
    if not isinstance(pipeline, Compose):
        raise TypeError(f"pipeline must be an augkit.Compose, got {type(pipeline).__name__}")
    if not isinstance(copies, int) or copies < 1:
        raise ValueError(f"copies must be a positive integer, got {copies!r}")
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    root, dest = Path(src), Path(out)
    if not root.is_dir():
        raise FileNotFoundError(f"no input folder at {root}")
    if dest.resolve() == root.resolve() or root.resolve() in dest.resolve().parents:
        raise ValueError(f"the output folder {dest} must not be (inside) the input folder {root}")
    plan = _plan(root, dest, copies)
    existing = [t for _, _, ts in plan for t in ts if t.exists()]
    if existing and not overwrite:
        raise FileExistsError(f"{len(existing)} output file(s) exist, e.g. {existing[0]}; pass overwrite=True "
                              "(--overwrite) to replace them")
    records = [{"source": rel, "outputs": [t.relative_to(dest).as_posix() for t in targets],
                "seed": _file_seed(seed, rel)} for _, rel, targets in plan]

    def report(n: int) -> None:
        if not quiet:
            print(f"\r{n}/{len(plan)} files", end="" if n < len(plan) else "\n", file=sys.stderr, flush=True)

    if executor is None and workers == 1:
        for n, ((path, _, targets), rec) in enumerate(zip(plan, records, strict=True), 1):
            try:
                _augment_one(pipeline, path, targets, rec["seed"])
            except Exception:  # noqa: BLE001 - a failed file is retried once (same seed: same output)
                _augment_one(pipeline, path, targets, rec["seed"])
            report(n)
    else:
        own = executor is None
        pool = executor if executor is not None else ProcessPoolExecutor(max_workers=workers)
        try:
            futures = [pool.submit(_augment_one, pipeline, path, targets, rec["seed"])
                       for (path, _, targets), rec in zip(plan, records, strict=True)]
            for n, (fut, (path, _, targets), rec) in enumerate(zip(futures, plan, records, strict=True), 1):
                try:
                    fut.result()
                except Exception:  # noqa: BLE001 - a failed file is retried once, here
                    _augment_one(pipeline, path, targets, rec["seed"])
                report(n)
        finally:
            if own:
                pool.shutdown()
    from . import __version__

    manifest = {"augkit_version": __version__, "pipeline": to_dict(pipeline), "seed": seed, "copies": copies,
                "files": records}
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "augment_manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def preview_grid(pipeline: Compose, image_path: str | os.PathLike, *, count: int = 8, columns: int = 4,
                 seed: int = 0) -> Any:
    """A PIL image: the original and ``count`` draws of ``pipeline``, from one batched call.

    Examples
    --------
    >>> import tempfile
    >>> from PIL import Image
    >>> import augkit as ak
    >>> p = Path(tempfile.mkdtemp()) / "x.png"
    >>> Image.new("RGB", (20, 10), "blue").save(p)
    >>> preview_grid(ak.Compose([ak.image.Invert()]), p, count=3, columns=2).size
    (46, 26)
    """
    from PIL import Image

    with Image.open(image_path) as im:
        arr = np.asarray(im.convert("RGB"))
    out = pipeline(image=np.repeat(arr[None], count, axis=0), rng=seed)["image"]
    tiles = [arr, *out]
    h, w = arr.shape[:2]
    pad = 2
    rows = -(-len(tiles) // columns)
    sheet = Image.new("RGB", (pad + columns * (w + pad), pad + rows * (h + pad)), "white")
    for j, tile in enumerate(tiles):
        sheet.paste(Image.fromarray(tile), (pad + (j % columns) * (w + pad), pad + (j // columns) * (h + pad)))
    return sheet
