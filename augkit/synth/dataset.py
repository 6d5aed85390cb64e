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

``"lmdb"``
    The layout scene-text recognition code reads (deep-text-recognition-benchmark, MMOCR,
    PaddleOCR): keys ``image-%09d`` (PNG bytes) and ``label-%09d`` (UTF-8), 1-based and
    contiguous, and ``num-samples``. Workers stage shards as tar files; this process adds them
    to the database strictly in index order, one transaction per shard (``num-samples``
    included), so the database is always contiguous. Needs the ``lmdb`` package
    (``pip install "augkit[lmdb]"``).

All write ``manifest.json``: generator config, seed, augkit version, counts, format, and the PNG
compressor and its level (:func:`png_encoder`; PNG bytes depend on them, pixels do not).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import struct
import sys
import tarfile
import uuid
import zlib
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import numpy as np

from ..kernels.scratch import work_array

__all__ = ["FORMATS", "encode_png", "encode_pngs", "png_encoder", "read_folder_labels", "write_dataset"]

FORMATS = ("folder", "webdataset", "lmdb")
#: Samples rendered per generator call inside a shard (at most; fewer for large images).
RENDER_CHUNK = 1024
#: Pixels per render chunk: bounds a worker's memory for long lines and large crops.
RENDER_CHUNK_PIXELS = 1 << 22


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind)))


#: Default PNG compression: ``0`` (fastest) to ``3`` (smallest); see :func:`png_encoder`.
PNG_LEVEL = 0
PNG_LEVELS = (0, 1, 2, 3)


def _check_png_level(level: Any) -> int:
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)) or level not in PNG_LEVELS:
        raise ValueError(f"png_level must be one of {PNG_LEVELS} (0 fastest, 3 smallest), got {level!r}")
    return int(level)


@lru_cache(maxsize=8)
def _deflate(level: int = PNG_LEVEL) -> tuple[str, Callable[[bytes], bytes]]:
    """The zlib-stream compressor for PNG data at ``level``: ISA-L's levels 0-3 (``isal``, in
    ``augkit[fast]``; its level 1 ~3x faster than zlib's here at a similar size, level 0 another
    2.7x faster for 32x32 crops at 1.3x the size), or else zlib: its run-length strategy at
    level 1 for levels 0 and 1, levels 6 and 9 for 2 and 3."""
    try:
        from isal import isal_zlib
    except ImportError:
        zlevel, strategy = {0: (1, zlib.Z_RLE), 1: (1, zlib.Z_RLE), 2: (6, zlib.Z_DEFAULT_STRATEGY),
                            3: (9, zlib.Z_DEFAULT_STRATEGY)}[level]

        def compress(data: bytes) -> bytes:
            c = zlib.compressobj(zlevel, zlib.DEFLATED, 15, 9, strategy)
            return c.compress(data) + c.flush()
        return f"zlib {zlib.ZLIB_RUNTIME_VERSION} level {zlevel}{' rle' if strategy == zlib.Z_RLE else ''}", compress
    import isal

    return f"isal {isal.__version__} level {level}", partial(isal_zlib.compress, level=level)


def png_encoder(level: int = PNG_LEVEL) -> str:
    """Which compressor :func:`encode_png` uses here at ``level`` (recorded in dataset manifests).

    Examples
    --------
    >>> png_encoder().split()[0] in ("isal", "zlib")
    True
    """
    return _deflate(_check_png_level(level))[0]


def encode_png(image: np.ndarray, level: int = PNG_LEVEL) -> bytes:
    """A standard 8-bit PNG of a grey ``(H, W)`` or RGB ``(H, W, 3)`` uint8 image.

    Fast: every row uses PNG's "Up" filter (the difference to the row above, one vectorized
    subtraction; on synthetic text images it deflates ~3% smaller and ~5% faster than "Sub",
    and ~15% smaller than no filter) and the data is deflated at level 1 (ISA-L when installed,
    see :func:`png_encoder`). Any PNG reader decodes it. :func:`encode_pngs` encodes many.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> x = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    >>> bool((np.asarray(Image.open(io.BytesIO(encode_png(x)))) == x).all())
    True
    """
    img = _png_image(image, "encode_png")
    h, w, c = img.shape
    flat = img.reshape(h, w * c)
    rows = np.empty((h, 1 + w * c), np.uint8)
    rows[:, 0] = 2  # filter type 2, "Up": each byte minus the byte above it (the first row: itself)
    rows[0, 1:] = flat[0]
    np.subtract(flat[1:], flat[:-1], out=rows[1:, 1:])  # modulo 256, as PNG specifies
    deflate = _deflate(_check_png_level(level))[1]
    return _png_head(h, w, c) + _chunk(b"IDAT", deflate(memoryview(rows).cast("B"))) + _PNG_END


def _png_image(image: np.ndarray, name: str) -> np.ndarray:
    """``image`` as ``(H, W, C)`` (a view), or a clear error for what PNG cannot hold here."""
    img = np.asarray(image)
    if img.dtype != np.uint8 or not (img.ndim == 2 or (img.ndim == 3 and img.shape[2] in (1, 3))):
        raise ValueError(f"{name} takes (H, W) or (H, W, 3) uint8 images, got {img.dtype} {img.shape}")
    if img.shape[0] == 0 or img.shape[1] == 0:
        raise ValueError(f"{name}: a PNG needs at least one row and one column, got shape {img.shape}")
    return img[..., None] if img.ndim == 2 else img


@lru_cache(maxsize=256)
def _png_head(h: int, w: int, c: int) -> bytes:
    """The signature and IHDR chunk of an 8-bit grey (``c`` 1) or RGB (``c`` 3) PNG."""
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2 if c == 3 else 0, 0, 0, 0))


_PNG_END = _chunk(b"IEND", b"")
#: Filtered PNG rows made at once by :func:`encode_pngs` (they stay in cache for deflate).
PNG_CHUNK_BYTES = 1 << 17


def encode_pngs(images: list[np.ndarray], level: int = PNG_LEVEL) -> list[bytes]:
    """:func:`encode_png` of each image (the same bytes); images of one shape are filtered
    together, in three NumPy operations for the group instead of three per image.

    Examples
    --------
    >>> x = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    >>> a, b = encode_pngs([x, x[:, :2]])
    >>> a == encode_png(x), len(a) > len(b)
    (True, True)
    """
    groups: dict[tuple[int, ...], list[int]] = {}
    arrays = []
    for j, image in enumerate(images):
        img = _png_image(image, f"encode_pngs (image {j})")
        arrays.append(img)
        groups.setdefault(img.shape, []).append(j)
    out: list[bytes] = [b""] * len(arrays)
    deflate = _deflate(_check_png_level(level))[1]
    for (h, w, c), members in groups.items():
        head = _png_head(h, w, c)
        per = max(1, PNG_CHUNK_BYTES // (h * (1 + w * c)))  # (reused buffers: fresh ones page-fault)
        for a in range(0, len(members), per):
            part = members[a:a + per]
            k = len(part)
            flat = work_array("png.flat", (k, h, w * c), np.uint8)
            for i, j in enumerate(part):
                flat[i] = arrays[j].reshape(h, w * c)
            rows = work_array("png.rows", (k, h, 1 + w * c), np.uint8)
            rows[:, :, 0] = 2  # filter type 2, "Up": each byte minus the byte above it (the first row: itself)
            rows[:, 0, 1:] = flat[:, 0]
            np.subtract(flat[:, 1:], flat[:, :-1], out=rows[:, 1:, 1:])  # modulo 256, as PNG specifies
            for j, r in zip(part, rows, strict=True):
                out[j] = head + _chunk(b"IDAT", deflate(memoryview(r).cast("B"))) + _PNG_END
    return out


def _check_label(text: str, index: int, fmt: str) -> None:
    if fmt == "folder" and any(c in text for c in "\t\n\r"):
        raise ValueError(f"sample {index}: label {text!r} holds a tab or newline, which rec_gt.txt and "
                         "labels.txt cannot hold; remove them from the text source")
    if "\n" in text or "\r" in text:
        raise ValueError(f"sample {index}: label {text!r} holds a newline")


_json_str = json.JSONEncoder(ensure_ascii=False).encode


@lru_cache(maxsize=512)
def _quads_template(count: int) -> str:
    return "[" + ", ".join(["[[%.2f, %.2f], [%.2f, %.2f], [%.2f, %.2f], [%.2f, %.2f]]"] * count) + "]"


def _record_json(s: dict[str, Any], path: str | None) -> str:
    """The JSON object of one sample's labels (``file_name`` first when ``path`` is given), laid
    out as ``json.dumps`` lays it out; quads with two decimals (0.01 px)."""
    q = np.asarray(s["char_boxes"])
    values = q.ravel().tolist()
    if all(map(math.isfinite, values)):
        quads = _quads_template(len(q)) % tuple(values)
    else:  # a point a degenerate warp sent to infinity: as json.dumps writes it (NaN, Infinity)
        quads = json.dumps(np.round(q.astype(np.float64), 2).tolist())
    head = "" if path is None else f'"file_name": {_json_str(path)}, '
    return (f'{{{head}"text": {_json_str(s["text"])}, "char_boxes": {quads}, "font": {_json_str(s["font"])}, '
            f'"index": {int(s["index"])}, "attempt": {int(s["attempt"])}, "seed": {int(s["seed"])}, '
            f'"mode": {_json_str(s["mode"])}}}')


_TAR_BLOCK = 512
#: Write buffer of a tar shard (a sample is a few KB: one write call per ~200 of them).
TAR_BUFFER_BYTES = 1 << 20
_TAR_RECORD = 20 * _TAR_BLOCK  # tarfile's RECORDSIZE: archives are padded to a multiple of it


#: USTAR header after the checksum: regular file, no link, user/group names, devices or prefix.
_USTAR_TAIL = b"0" + b"\0" * 100 + b"ustar\x0000" + b"\0" * 247
_USTAR_SUM = sum(_USTAR_TAIL) + 8 * 32  # the checksum is taken with its own field as 8 spaces


def _ustar_header(name: str, size: int) -> bytes:
    """The USTAR header ``tarfile`` writes for a regular file with mode 0644, mtime 0, uid/gid 0
    and no user names (deterministic; ~10x cheaper than ``TarInfo.tobuf``)."""
    raw = name.encode("utf-8")
    if len(raw) > 100:
        raise ValueError(f"tar member name {name!r} is longer than 100 bytes")
    head = raw.ljust(100, b"\0") + b"0000644\0" + b"0000000\0" * 2 + b"%011o\0" % size + b"00000000000\0"
    return head + b"%06o\0 " % (sum(head) + _USTAR_SUM) + _USTAR_TAIL


def _tar_member(name: str, data: bytes) -> bytes:
    pad = -len(data) % _TAR_BLOCK
    return _ustar_header(name, len(data)) + data + b"\0" * pad


def _write_file(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _render_chunk(gen: Any) -> int:
    """Samples per generator call: up to :data:`RENDER_CHUNK` (larger size groups vectorize
    better), fewer for large images (a word is ~4 heights wide, a line ~20)."""
    h, w = (gen.size if gen.mode == "char" else (gen.height, gen.height * (4 if gen.mode == "word" else 20)))
    return int(np.clip(RENDER_CHUNK_PIXELS // (h * w), 64, RENDER_CHUNK))


def _samples(gen: Any, start: int, stop: int, png_level: int = PNG_LEVEL):
    """Samples ``start .. stop - 1`` with their PNG bytes, rendered and encoded a chunk at a time."""
    step = _render_chunk(gen)
    for a in range(start, stop, step):
        b = min(stop, a + step)
        batch = gen._samples(list(range(a, b)))
        yield from zip(batch, encode_pngs([s["image"] for s in batch], png_level), strict=True)


def _write_shard(gen: Any, out: str, fmt: str, shard: int, start: int, stop: int,
                 png_level: int = PNG_LEVEL) -> int:
    """Write one shard atomically; return the number of samples (runs in a worker)."""
    root = Path(out)
    tag = f".tmp-{uuid.uuid4().hex[:12]}"
    if fmt in ("webdataset", "lmdb"):
        final = root / ("staging" if fmt == "lmdb" else "") / f"shard-{shard:06d}.tar"
        tmp = final.with_name(final.name + tag)
        # what tarfile writes (USTAR), without its per-member cost
        with open(tmp, "wb", buffering=TAR_BUFFER_BYTES) as tar:
            written = 0
            for s, png in _samples(gen, start, stop, png_level):
                _check_label(s["text"], s["index"], fmt)
                key = f"{s['index']:09d}"
                members = b"".join(_tar_member(f"{key}.{ext}", data) for ext, data in (
                    ("png", png), ("txt", s["text"].encode("utf-8")),
                    ("json", _record_json(s, None).encode("utf-8"))))
                tar.write(members)
                written += len(members)
            end = written + 2 * _TAR_BLOCK
            tar.write(b"\0" * (end + (-end % _TAR_RECORD) - written))
        os.replace(tmp, final)
        return stop - start
    images = root / "images" / f"{shard:06d}"
    tmp_dir = root / "images" / (f"{shard:06d}" + tag)
    tmp_dir.mkdir(parents=True)
    lines, paddle, trdg = [], [], []
    for s, png in _samples(gen, start, stop, png_level):
        _check_label(s["text"], s["index"], fmt)
        name = f"{s['index']:09d}.png"
        path = f"images/{shard:06d}/{name}"
        _write_file(os.path.join(tmp_dir, name), png)
        lines.append(_record_json(s, path) + "\n")
        paddle.append(f"{path}\t{s['text']}\n")
        trdg.append(f"{path} {s['text']}\n")
    if images.exists():  # left by a run killed between the renames below
        shutil.rmtree(images)
    os.replace(tmp_dir, images)
    for ext, content in (("rec_gt.txt", paddle), ("labels.txt", trdg), ("jsonl", lines)):  # jsonl last
        final = root / "shards" / f"{shard:06d}.{ext}"
        tmp = final.with_name(final.name + tag)
        tmp.write_text("".join(content), encoding="utf-8")
        os.replace(tmp, final)  # the shard counts as done once its .jsonl exists
    return stop - start


def _lmdb_env(root: Path) -> Any:
    try:
        import lmdb
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError('format="lmdb" needs the lmdb package: pip install "augkit[lmdb]"') from err
    return lmdb.open(str(root / "lmdb"), map_size=1 << 40, subdir=True, lock=True)


def _lmdb_count(root: Path) -> int:
    if not (root / "lmdb").exists():
        return 0
    env = _lmdb_env(root)
    with env.begin() as txn:
        raw = txn.get(b"num-samples")
    env.close()
    return int(raw) if raw else 0


def _lmdb_ingest(root: Path, shards: list[tuple[int, int, int]]) -> None:
    """Add staged shards to the database in index order (one transaction per shard)."""
    env = _lmdb_env(root)
    try:
        for k, a, b in shards:
            staged = root / "staging" / f"shard-{k:06d}.tar"
            with env.begin() as txn:
                have = int(txn.get(b"num-samples") or 0)
            if have >= b:
                staged.unlink(missing_ok=True)
                continue
            if have != a:
                raise RuntimeError(f"lmdb holds {have} samples but shard {k} starts at {a}; the database is "
                                   "not one this run wrote")
            with tarfile.open(staged) as tar, env.begin(write=True) as txn:
                members = tar.getmembers()
                for m in members:
                    key, ext = m.name.split(".", 1)
                    if ext in ("png", "txt"):
                        name = b"image-%09d" if ext == "png" else b"label-%09d"
                        txn.put(name % (int(key) + 1), tar.extractfile(m).read())
                txn.put(b"num-samples", str(b).encode("ascii"))
            staged.unlink()
    finally:
        env.close()


def _shard_done(root: Path, fmt: str, shard: int, start: int = 0, ingested: int = 0) -> bool:
    if fmt == "lmdb":
        return ingested > start or (root / "staging" / f"shard-{shard:06d}.tar").exists()
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
                  quiet: bool = False, png_level: int = PNG_LEVEL) -> dict[str, Any]:
    """Write samples ``0 .. count - 1`` of ``gen`` to ``out``; return the manifest.

    Parameters
    ----------
    gen : TextImageGenerator
    out : path
        Output folder (created). A folder holding a dataset made with other settings is an error.
    count : int
    format : {"folder", "webdataset", "lmdb"}
    workers : int
        Processes (1: in this process). Ignored when ``executor`` is given.
    shard_size : int
        Samples per shard (the unit of atomic writing and resuming).
    executor : concurrent.futures.Executor, optional
        Run shards there (e.g. a Dask ``Client.get_executor()``); the generator is pickled.
    quiet : bool
        No progress output.
    png_level : {0, 1, 2, 3}
        PNG compression, 0 fastest (default) to 3 smallest: ISA-L's deflate levels (zlib's
        when ``isal`` is not installed). Level 1 makes 32x32 crops ~25% smaller and costs
        ~16 us more an image; pixels are the same at every level.

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
    png_level = _check_png_level(png_level)
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    manifest = {"augkit_version": __version__, "format": format, "count": int(count), "shard_size": shard_size,
                "generator": gen.to_config(), "png_encoder": png_encoder(png_level)}
    existing = root / "manifest.json"
    if existing.exists():
        # the software that wrote it may differ (same pixels and labels; PNG bytes may differ)
        free = ("augkit_version", "count", "complete", "png_encoder")
        old = json.loads(existing.read_text(encoding="utf-8"))
        if ({k: v for k, v in old.items() if k not in free}
                != {k: v for k, v in manifest.items() if k not in free}):
            raise ValueError(f"{root} holds a dataset made with other settings (see its manifest.json); "
                             "use a new folder")
    _atomic_text(existing, json.dumps({**manifest, "complete": False}, indent=2) + "\n")
    if format == "folder":
        (root / "shards").mkdir(exist_ok=True)
        (root / "images").mkdir(exist_ok=True)
    ingested = 0
    if format == "lmdb":
        (root / "staging").mkdir(exist_ok=True)
        ingested = _lmdb_count(root)
    for leftover in list(root.glob("*.tmp-*")) + list(root.glob("*/*.tmp-*")):  # torn writes
        shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
    shards = [(k, k * shard_size, min(count, (k + 1) * shard_size)) for k in range(-(-count // shard_size))]
    todo = [s for s in shards if not _shard_done(root, format, s[0], s[1], ingested)]
    report = _progress(count, quiet)
    report(count - sum(b - a for _, a, b in todo))
    _run_shards(gen, root, format, todo, workers, executor, report, png_level)
    if format == "folder":
        _merge_folder(root, shards)
    if format == "lmdb":
        _lmdb_ingest(root, shards)
        (root / "staging").rmdir()
    manifest = {**manifest, "complete": True}
    _atomic_text(existing, json.dumps(manifest, indent=2) + "\n")
    return manifest


def _run_shards(gen: Any, root: Path, fmt: str, todo: list[tuple[int, int, int]], workers: int,
                executor: Executor | None, report: Callable[[int], None], png_level: int = PNG_LEVEL) -> None:
    if executor is None and workers == 1:
        for k, a, b in todo:
            report(_write_shard(gen, str(root), fmt, k, a, b, png_level))
        return
    own = executor is None
    pool = executor if executor is not None else ProcessPoolExecutor(max_workers=workers)
    try:
        futures = {pool.submit(_write_shard, gen, str(root), fmt, k, a, b, png_level): (k, a, b) for k, a, b in todo}
        for fut, (k, a, b) in list(futures.items()):
            try:
                report(fut.result())
            except Exception:  # noqa: BLE001 - a failed shard is retried once, here, before giving up
                report(_write_shard(gen, str(root), fmt, k, a, b, png_level))
    finally:
        if own:
            pool.shutdown()


def _merge_folder(root: Path, shards: list[tuple[int, int, int]]) -> None:
    """Concatenate the shards' sidecars, in index order, into the dataset's."""
    for ext, name in (("jsonl", "labels.jsonl"), ("rec_gt.txt", "rec_gt.txt"), ("labels.txt", "labels.txt")):
        parts = [(root / "shards" / f"{k:06d}.{ext}").read_text(encoding="utf-8") for k, _, _ in shards]
        _atomic_text(root / name, "".join(parts))


def read_folder_labels(root: str | os.PathLike) -> list[dict[str, Any]]:
    """The records of a ``"folder"`` dataset's ``labels.jsonl``, in index order.

    Examples
    --------
    >>> import tempfile
    >>> from augkit.synth import TextImageGenerator, write_dataset
    >>> root = tempfile.mkdtemp()
    >>> _ = write_dataset(TextImageGenerator(mode="word", seed=0), root, 3, quiet=True)
    >>> records = read_folder_labels(root)
    >>> len(records), records[0]["file_name"], records[0]["text"] == TextImageGenerator(seed=0)[0]["text"]
    (3, 'images/000000/000000000.png', True)
    """
    with open(Path(root) / "labels.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
