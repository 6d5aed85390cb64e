"""Synthetic OCR throughput: augkit's TextImageGenerator written to disk, and trdg side by side.

Run ``python -m benchmarks.synth``. Single process. Word images are 32 px high with light
distortion (a small rotation and blur), written as PNG + labels with ``write_dataset``; character
crops are 32x32. Each run writes to a fresh temporary folder and is timed end to end (fonts,
rendering, distortion, PNG encoding, files), after a warm-up run that fills the font and glyph
caches. trdg is timed in its own virtual environment when ``--trdg-python`` points at one (trdg
1.8.0 needs Pillow < 10, which augkit does not support), generating the same count of 32 px
word images from its bundled English dictionary with its default fonts.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import augkit as ak  # noqa: E402
from augkit.synth import TextImageGenerator, write_dataset  # noqa: E402

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


def measure(mode: str, count: int, repeats: int) -> float:
    gen = TextImageGenerator(mode=mode, height=32, size=(32, 32), pipeline=light_pipeline(), seed=0)
    rates = []
    with tempfile.TemporaryDirectory() as tmp:
        write_dataset(gen, Path(tmp) / "warm", count, quiet=True)  # font, glyph and kerning caches
        for r in range(repeats):
            gen = TextImageGenerator(mode=mode, height=32, size=(32, 32), pipeline=light_pipeline(),
                                     seed=r + 1, fonts=gen.fonts)
            start = time.perf_counter()
            write_dataset(gen, Path(tmp) / f"run{r}", count, quiet=True)
            rates.append(count / (time.perf_counter() - start))
    return statistics.median(rates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--trdg-python", default=None, help="python of a venv with trdg installed")
    parser.add_argument("--out", default="bench-out/synth.json")
    args = parser.parse_args(argv)
    results = {"word_images_per_s": round(measure("word", args.count, args.repeats), 1),
               "char_crops_per_s": round(measure("char", args.count, args.repeats), 1)}
    if args.trdg_python:
        res = subprocess.run([args.trdg_python, "-c", TRDG_SCRIPT, str(args.count)], capture_output=True,
                             text=True, check=False)
        lines = res.stdout.strip().splitlines()  # trdg prints a notice before our number
        results["trdg_word_images_per_s"] = round(float(lines[-1]), 1) if res.returncode == 0 and lines else None
        if res.returncode:
            print(res.stderr[-2000:], file=sys.stderr)
    print("| generator | images/s (single process, PNG + labels on disk) |\n|---|---|")
    print(f"| augkit words, 32 px, light distortion | {results['word_images_per_s']:,.0f} |")
    print(f"| augkit character crops, 32x32 | {results['char_crops_per_s']:,.0f} |")
    if "trdg_word_images_per_s" in results:
        print(f"| trdg 1.8.0 words, 32 px (own venv) | {results['trdg_word_images_per_s'] or 'failed'} |")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
