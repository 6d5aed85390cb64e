"""Synthetic OCR throughput: augkit's TextImageGenerator written to disk, and trdg side by side.

Run ``python -m benchmarks.synth``. Single process. Word images are 32 px high with light
distortion (a small rotation and blur), written as PNG + labels with ``write_dataset``; character
crops are 32x32. Each run writes to a fresh temporary folder and is timed end to end (fonts,
rendering, distortion, PNG encoding, files), after a warm-up run that fills the font and glyph
caches; both the ``"folder"`` format (a PNG file per image) and ``"webdataset"`` (tar shards)
are timed. The same run also times generation with PNG encoding in memory (no disk), and the
disk's own rate of creating 5 KB files in that folder, because on a shared VM that rate varies
by more than 10x and bounds the ``"folder"`` format. trdg is timed in its own virtual
environment when ``--trdg-python`` points at one (trdg 1.8.0 needs Pillow < 10, which augkit
does not support), generating the same count of 32 px word images from its bundled English
dictionary with its default fonts.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import augkit as ak  # noqa: E402
from augkit.synth import TextImageGenerator, write_dataset  # noqa: E402
from augkit.synth.dataset import _record_json, _render_chunk, encode_pngs, png_encoder  # noqa: E402

TRDG_SCRIPT = """
import sys, time, tempfile
from trdg.generators import GeneratorFromDict
count = int(sys.argv[1])
gen = GeneratorFromDict(count=count, size=32, blur=1, random_blur=True, skewing_angle=3, random_skew=True)
out = tempfile.mkdtemp()
t = time.perf_counter()
for i, (img, label) in enumerate(gen):
    img.save(f"{out}/{i}.png")
print(count / (time.perf_counter() - t))
"""


def light_pipeline() -> ak.Compose:
    return ak.Compose([ak.image.Rotate(degrees_range=(-3, 3), border_mode="edge"),
                       ak.image.GaussianBlur(sigma_range=(0.3, 0.8), p=0.5)])


def _generator(mode: str, seed: int, fonts=None) -> TextImageGenerator:
    return TextImageGenerator(mode=mode, height=32, size=(32, 32), pipeline=light_pipeline(), seed=seed, fonts=fonts)


def in_memory(gen: TextImageGenerator, count: int) -> float:
    """Images/s generated and PNG-encoded with their label lines, nothing written."""
    start = time.perf_counter()
    step = _render_chunk(gen)
    for a in range(0, count, step):
        batch = gen._samples(list(range(a, min(count, a + step))))
        encode_pngs([s["image"] for s in batch])  # (as write_dataset does, a chunk at a time)
        for s in batch:
            _record_json(s, "x.png")
    return count / (time.perf_counter() - start)


def disk_files_per_s(folder: Path, count: int = 3000) -> float:
    """How many 5 KB files per second this disk creates in ``folder`` now (open, write, close)."""
    folder.mkdir(parents=True)
    data = os.urandom(5000)
    start = time.perf_counter()
    for i in range(count):
        fd = os.open(folder / f"{i:09d}.png", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, data)
        os.close(fd)
    rate = count / (time.perf_counter() - start)
    shutil.rmtree(folder)
    return rate


def measure(mode: str, count: int, repeats: int, formats: list[str], root: str | None) -> dict[str, float]:
    """Median images/s of each format, in memory, and the disk's file rate (interleaved repeats)."""
    gen = _generator(mode, 0)
    rates: dict[str, list[float]] = {k: [] for k in (*formats, "memory", "disk_files")}
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        write_dataset(gen, Path(tmp) / "warm", count, quiet=True)  # font, glyph and kerning caches
        shutil.rmtree(Path(tmp) / "warm")
        for r in range(repeats):
            for fmt in formats:
                gen = _generator(mode, r + 1, gen.fonts)
                out = Path(tmp) / f"{fmt}{r}"
                start = time.perf_counter()
                write_dataset(gen, out, count, format=fmt, quiet=True)
                rates[fmt].append(count / (time.perf_counter() - start))
                shutil.rmtree(out)  # a disk full of old runs slows the next one down
            rates["memory"].append(in_memory(_generator(mode, r + 1, gen.fonts), count))
            rates["disk_files"].append(disk_files_per_s(Path(tmp) / f"files{r}"))
    return {k: statistics.median(v) for k, v in rates.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--formats", default="folder,webdataset", help="comma list of: folder, webdataset")
    parser.add_argument("--dir", default=None, help="where to write (default: the system's temporary folder)")
    parser.add_argument("--trdg-python", default=None, help="python of a venv with trdg installed")
    parser.add_argument("--out", default="bench-out/synth.json")
    args = parser.parse_args(argv)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    modes = {"word": "augkit words, 32 px, light distortion", "char": "augkit character crops, 32x32"}
    results: dict = {"count": args.count, "repeats": args.repeats, "png_encoder": png_encoder(), "modes": {}}
    for mode in modes:
        results["modes"][mode] = {k: round(v, 1) for k, v in measure(mode, args.count, args.repeats, formats,
                                                                      args.dir).items()}
        print(f"{mode}: {results['modes'][mode]}", file=sys.stderr, flush=True)
    if args.trdg_python:
        res = subprocess.run([args.trdg_python, "-c", TRDG_SCRIPT, str(args.count)], capture_output=True,
                             text=True, check=False)
        lines = res.stdout.strip().splitlines()  # trdg prints a notice before our number
        results["trdg_word_images_per_s"] = round(float(lines[-1]), 1) if res.returncode == 0 and lines else None
        if res.returncode:
            print(res.stderr[-2000:], file=sys.stderr)
    head = " | ".join(f'`"{f}"` on disk' for f in formats)
    print(f"| generator | {head} | in memory (PNG + label encoded) | the disk's own 5 KB files/s |")
    print("|---|" + "---|" * (len(formats) + 2))
    for mode, label in modes.items():
        r = results["modes"][mode]
        cells = " | ".join(f"{r[f]:,.0f}" for f in formats)
        print(f"| {label} | {cells} | {r['memory']:,.0f} | {r['disk_files']:,.0f} |")
    if "trdg_word_images_per_s" in results:
        print(f"| trdg 1.8.0 words, 32 px (own venv, PNG files) | {results['trdg_word_images_per_s'] or 'failed'} |")
    print(f"\nimages/s, single process, median of {args.repeats} runs of {args.count:,}; PNG: {results['png_encoder']}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
