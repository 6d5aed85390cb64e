"""Writing generated samples as datasets that training code already reads.

Work is split into shards of ``shard_size`` consecutive indices. A shard is written under
a temporary name and renamed into place when complete, so an interrupted run leaves only
whole shards; running again with the same arguments resumes with the missing ones.
Because sample ``i`` depends only on ``(seed, i)``, the dataset is byte-identical whatever
the number of workers or the order in which shards finish.

Formats
-------
``"folder"``
    ``images/<shard>/<index>.png`` plus, in index order, ``labels.jsonl`` (lossless: text,
    character quads, font, seed, index), PaddleOCR's ``rec_gt.txt`` (``path<TAB>label``) and
    a trdg-style ``labels.txt`` (``path label``).
``"webdataset"``
    ``shard-<shard>.tar``: per sample ``<index>.png``, ``<index>.txt`` (label) and
    ``<index>.json`` (quads, font, seed), consecutive members, deterministic tar headers.

Both write ``manifest.json``: generator config, seed, augkit version, counts, format.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import tarfile
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["FORMATS", "read_folder_labels", "write_dataset"]

FORMATS = ("folder", "webdataset")
#: Samples rendered per generator call inside a shard.
RENDER_CHUNK = 256


def _png(image: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def _check_label(text: str, index: int, fmt: str) -> None:
    if fmt == "folder" and any(c in text for c in "\t\n\r"):
        raise ValueError(f"sample {index}: label {text!r} holds a tab or newline, which rec_gt.txt and "
                         "labels.txt cannot hold; remove them from the text source")
    if "\n" in text or "\r" in text:
        raise ValueError(f"sample {index}: label {text!r} holds a newline")


def _record(s: dict[str, Any], path: str) -> dict[str, Any]:
    return {"file_name": path, "text": s["text"], "char_boxes": np.round(s["char_boxes"], 2).tolist(),
            "font": s["font"], "index": s["index"], "attempt": s["attempt"], "seed": s["seed"], "mode": s["mode"]}


def _samples(gen: Any, start: int, stop: int):
    for a in range(start, stop, RENDER_CHUNK):
        b = min(stop, a + RENDER_CHUNK)
        batch = gen._samples(list(range(a, b)))
        yield from batch


def _write_shard(gen: Any, out: str, fmt: str, shard: int, start: int, stop: int) -> int:
    """Write one shard atomically; return the number of samples (runs in a worker)."""
    root = Path(out)
    tag = f".tmp-{uuid.uuid4().hex[:12]}"
    if fmt == "webdataset":
        final = root / f"shard-{shard:06d}.tar"
        tmp = root / (final.name + tag)
        with tarfile.open(tmp, "w", format=tarfile.USTAR_FORMAT) as tar:
            for s in _samples(gen, start, stop):
                _check_label(s["text"], s["index"], fmt)
                key = f"{s['index']:09d}"
                meta = {k: v for k, v in _record(s, f"{key}.png").items() if k != "file_name"}
                for ext, data in (("png", _png(s["image"])), ("txt", s["text"].encode("utf-8")),
                                  ("json", json.dumps(meta, ensure_ascii=False).encode("utf-8"))):
                    info = tarfile.TarInfo(f"{key}.{ext}")
                    info.size, info.mtime, info.mode = len(data), 0, 0o644
                    tar.addfile(info, io.BytesIO(data))
        os.replace(tmp, final)
        return stop - start
    images = root / "images" / f"{shard:06d}"
    tmp_dir = root / "images" / (f"{shard:06d}" + tag)
    tmp_dir.mkdir(parents=True)
    lines = []
    for s in _samples(gen, start, stop):
        _check_label(s["text"], s["index"], fmt)
        name = f"{s['index']:09d}.png"
        (tmp_dir / name).write_bytes(_png(s["image"]))
        lines.append(json.dumps(_record(s, f"images/{shard:06d}/{name}"), ensure_ascii=False))
    if images.exists():  # left by a run killed between the two renames below
        shutil.rmtree(images)
    os.replace(tmp_dir, images)
    labels = root / "shards" / f"{shard:06d}.jsonl"
    tmp_labels = labels.with_name(labels.name + tag)
    tmp_labels.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp_labels, labels)  # the shard counts as done only now
    return stop - start


def _shard_done(root: Path, fmt: str, shard: int) -> bool:
    if fmt == "webdataset":
        return (root / f"shard-{shard:06d}.tar").exists()
    return (root / "shards" / f"{shard:06d}.jsonl").exists()


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + f".tmp-{uuid.uuid4().hex[:12]}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _progress(total: int, quiet: bool) -> Callable[[int], None]:
    if quiet:
        return lambda n: None
    try:
        from tqdm import tqdm  # optional
    except ImportError:
        state = {"done": 0}

        def report(n: int) -> None:
            state["done"] += n
            print(f"\r{state['done']:,}/{total:,} samples", end="" if state["done"] < total else "\n",
                  file=sys.stderr, flush=True)
        return report
    bar = tqdm(total=total, unit="img")
    return lambda n: (bar.update(n), bar.close() if bar.n >= total else None)


def write_dataset(gen: Any, out: str | os.PathLike, count: int, *, format: str = "folder",
                  workers: int = 1, shard_size: int = 1000, executor: Executor | None = None,
                  quiet: bool = False) -> dict[str, Any]:
    """Write samples ``0 .. count - 1`` of ``gen`` to ``out``; return the manifest.

    Parameters
    ----------
    gen : TextImageGenerator
    out : path
        Output folder (created). A folder holding a dataset made with other settings is an error.
    count : int
    format : {"folder", "webdataset"}
    workers : int
        Processes (1: in this process). Ignored when ``executor`` is given.
    shard_size : int
        Samples per shard (the unit of atomic writing and resuming).
    executor : concurrent.futures.Executor, optional
        Run shards there (e.g. a Dask ``Client.get_executor()``); the generator is pickled.
    quiet : bool
        No progress output.

    Examples
    --------
    >>> import tempfile
    >>> from augkit.synth import TextImageGenerator
    >>> m = write_dataset(TextImageGenerator(seed=0), tempfile.mkdtemp(), 3, quiet=True)
    >>> m["count"], m["format"]
    (3, 'folder')
    """
    from .. import __version__

    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {format!r}")
    if not isinstance(count, (int, np.integer)) or count < 0:
        raise ValueError(f"count must be a non-negative integer, got {count!r}")
    if not isinstance(shard_size, int) or shard_size < 1:
        raise ValueError(f"shard_size must be a positive integer, got {shard_size!r}")
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    manifest = {"augkit_version": __version__, "format": format, "count": int(count), "shard_size": shard_size,
                "generator": gen.to_config()}
    existing = root / "manifest.json"
    if existing.exists():
        old = json.loads(existing.read_text(encoding="utf-8"))
        same = {k: v for k, v in old.items() if k not in ("augkit_version", "count", "complete")}
        if same != {k: v for k, v in manifest.items() if k not in ("augkit_version", "count")}:
            raise ValueError(f"{root} holds a dataset made with other settings (see its manifest.json); "
                             "use a new folder")
    _atomic_text(existing, json.dumps({**manifest, "complete": False}, indent=2) + "\n")
    if format == "folder":
        (root / "shards").mkdir(exist_ok=True)
        (root / "images").mkdir(exist_ok=True)
    for leftover in list(root.glob("*.tmp-*")) + list(root.glob("*/*.tmp-*")):
        shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
    shards = [(k, k * shard_size, min(count, (k + 1) * shard_size)) for k in range(-(-count // shard_size))]
    todo = [s for s in shards if not _shard_done(root, format, s[0])]
    report = _progress(count, quiet)
    report(count - sum(b - a for _, a, b in todo))
    _run_shards(gen, root, format, todo, workers, executor, report)
    if format == "folder":
        _merge_folder(root, shards)
    manifest = {**manifest, "complete": True}
    _atomic_text(existing, json.dumps(manifest, indent=2) + "\n")
    return manifest


def _run_shards(gen: Any, root: Path, fmt: str, todo: list[tuple[int, int, int]], workers: int,
                executor: Executor | None, report: Callable[[int], None]) -> None:
    if executor is None and workers == 1:
        for k, a, b in todo:
            report(_write_shard(gen, str(root), fmt, k, a, b))
        return
    own = executor is None
    pool = executor if executor is not None else ProcessPoolExecutor(max_workers=workers)
    try:
        futures = {pool.submit(_write_shard, gen, str(root), fmt, k, a, b): (k, a, b) for k, a, b in todo}
        for fut, (k, a, b) in list(futures.items()):
            try:
                report(fut.result())
            except Exception:  # noqa: BLE001 - a failed shard is retried once, here, before giving up
                report(_write_shard(gen, str(root), fmt, k, a, b))
    finally:
        if own:
            pool.shutdown()


def _merge_folder(root: Path, shards: list[tuple[int, int, int]]) -> None:
    records = []
    for k, _, _ in shards:
        text = (root / "shards" / f"{k:06d}.jsonl").read_text(encoding="utf-8")
        records += [json.loads(line) for line in text.splitlines() if line]
    _atomic_text(root / "labels.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    _atomic_text(root / "rec_gt.txt", "".join(f"{r['file_name']}\t{r['text']}\n" for r in records))
    _atomic_text(root / "labels.txt", "".join(f"{r['file_name']} {r['text']}\n" for r in records))


def read_folder_labels(root: str | os.PathLike) -> list[dict[str, Any]]:
    """The records of a ``"folder"`` dataset's ``labels.jsonl``, in index order."""
    with open(Path(root) / "labels.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
