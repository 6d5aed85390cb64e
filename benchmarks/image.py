"""Image throughput: augkit against albumentations 2.0.8, side by side in one process.

Run ``python -m benchmarks.image`` (after ``pip install -e ".[bench]"``). Every row times
albumentations called the way its users call it (one image per call, as inside a
``Dataset``), augkit on the whole batch and augkit one image per call, with the repeats of
the three interleaved; then augkit's pure NumPy path on the batch, interleaved with
albumentations again. Medians of the repeats are reported. Single-threaded:
``OMP_NUM_THREADS=1`` and ``cv2.setNumThreads(1)``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable  # noqa: E402
from functools import partial  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import augkit as ak  # noqa: E402
from augkit.kernels.backend import use_backend  # noqa: E402

I = ak.image

#: (label, height, width, channels, batch size)
SIZES = {
    "32": ("32x32 RGB", 32, 32, 3, 256),
    "64": ("64x64 RGB", 64, 64, 3, 256),
    "256": ("256x256 RGB", 256, 256, 3, 32),
    "512": ("512x512 RGB", 512, 512, 3, 16),
    "32g": ("32x32 grey", 32, 32, 1, 256),
}


#: Rows whose albumentations transform takes RGB images only (no grey size).
RGB_ONLY = {"ChromaticAberration"}


def rows(A) -> dict[str, tuple[Callable, Callable] | Callable]:
    """Each row: (augkit transform, albumentations transform) with the same parameter ranges, or a
    function of the image size ``(h, w)`` that returns that pair."""
    pipe_ak = ak.Compose([I.Rotate(degrees_range=(-30, 30)), I.Scale(scale_range=(0.8, 1.2)),
                          I.Contrast(factor_range=(0.5, 1.5)), I.GridWarp(num_steps=5, distort_limit=0.3)])
    pipe_a = A.Compose([A.Rotate(limit=(-30, 30), p=1), A.Affine(scale=(0.8, 1.2), p=1),
                        A.RandomBrightnessContrast(brightness_limit=0, contrast_limit=(-0.5, 0.5), p=1),
                        A.GridDistortion(num_steps=5, distort_limit=0.3, p=1)])
    return {
        "Rotate": (I.Rotate(degrees_range=(-30, 30)), A.Rotate(limit=(-30, 30), p=1)),
        "Scale": (I.Scale(scale_range=(0.8, 1.2)), A.Affine(scale=(0.8, 1.2), p=1)),
        "Affine": (I.Affine(degrees_range=(-15, 15), scale_range=(0.9, 1.1), translate_range=(-0.1, 0.1),
                            shear_degrees_range=(-10, 10)),
                   A.Affine(rotate=(-15, 15), scale=(0.9, 1.1), translate_percent=(-0.1, 0.1), shear=(-10, 10), p=1)),
        "Perspective": (I.Perspective(distortion_range=(0.05, 0.1)), A.Perspective(scale=(0.05, 0.1), p=1)),
        "Contrast": (I.Contrast(factor_range=(0.5, 1.5)),
                     A.RandomBrightnessContrast(brightness_limit=0, contrast_limit=(-0.5, 0.5), p=1)),
        "Brightness": (I.Brightness(delta_range=(-0.2, 0.2)),
                       A.RandomBrightnessContrast(brightness_limit=(-0.2, 0.2), contrast_limit=0, p=1)),
        "Gamma": (I.Gamma(gamma_range=(0.8, 1.25)), A.RandomGamma(gamma_limit=(80, 125), p=1)),
        "HorizontalFlip": (I.HorizontalFlip(p=1.0), A.HorizontalFlip(p=1.0)),
        "RandomRotate90": (I.RandomRotate90(), A.RandomRotate90(p=1)),  # (both: 0-3 quarter turns)
        "Transpose": (I.Transpose(p=1.0), A.Transpose(p=1)),
        "Invert": (I.Invert(), A.InvertImg(p=1)),
        "ToGray": (I.ToGray(), A.ToGray(num_output_channels=3, method="weighted_average", p=1)),
        "Posterize": (I.Posterize(bits_range=(4, 8)), A.Posterize(num_bits=(4, 8), p=1)),
        "Equalize": (I.Equalize(), A.Equalize(mode="pil", by_channels=True, p=1)),
        "GaussianBlur": (I.GaussianBlur(sigma_range=(0.5, 2.0)),
                         A.GaussianBlur(blur_limit=0, sigma_limit=(0.5, 2.0), p=1)),
        # (augkit's kernel spans 3 sigma: 3-13 taps for sigma 0.5-2; albumentations draws its kernel size
        # in that range apart from sigma (blur_limit=0 becomes 3 taps in 2.0.8); threshold 0: sharpen everywhere)
        "Sharpen": (I.Sharpen(sigma_range=(0.5, 2.0), amount_range=(0.2, 0.5)),
                    A.UnsharpMask(blur_limit=(3, 13), sigma_limit=(0.5, 2.0), alpha=(0.2, 0.5), threshold=0, p=1)),
        "GaussianNoise": (I.GaussianNoise(std_range=(0.01, 0.05)), A.GaussNoise(std_range=(0.01, 0.05), p=1)),
        # (photons = 1 / albumentations' scale; no read noise, which ShotNoise does not model)
        "SensorNoise": (I.SensorNoise(white_photons_range=(100, 2000), read_noise_range=(0, 0)),
                        A.ShotNoise(scale_range=(1 / 2000, 1 / 100), p=1)),
        "SaltPepper": (I.SaltPepper(amount_range=(0.01, 0.06), salt_ratio_range=(0.4, 0.6)),
                       A.SaltAndPepper(amount=(0.01, 0.06), salt_vs_pepper=(0.4, 0.6), p=1)),
        "JpegCompression": (I.JpegCompression(quality_range=(30, 90)),
                            A.ImageCompression(compression_type="jpeg", quality_range=(30, 90), p=1)),
        "MotionBlur": (I.MotionBlur(length_px_range=(3, 7)), A.MotionBlur(blur_limit=(3, 7), p=1)),
        "Erode": (I.Erode(radius_px_range=(1, 1)), A.Morphological(scale=(3, 3), operation="erosion", p=1)),
        "Dilate": (I.Dilate(radius_px_range=(1, 1)), A.Morphological(scale=(3, 3), operation="dilation", p=1)),
        "ColorJitter": (I.ColorJitter(hue_degrees_range=(-10, 10), saturation_range=(0.7, 1.3), value_range=(0.8, 1.2)),
                        A.ColorJitter(brightness=(0.8, 1.2), contrast=(1, 1), saturation=(0.7, 1.3),
                                      hue=(-10 / 360, 10 / 360), p=1)),
        # a linear falloff: albumentations' gain runs from 1 - i to 1 + i, augkit's from 1 - g/2 to 1 + g/2
        "Illumination": (I.Illumination(gradient_range=(0.02, 0.4), vignette_range=(0.0, 0.0)),
                         A.Illumination(mode="linear", intensity_range=(0.01, 0.2), effect_type="both", p=1)),
        # (albumentations: 1-2 dark polygons of 5 vertices in the lower half; augkit: one shadow of 1-3 edges)
        "Shadow": (I.Shadow(darkness_range=(0.5, 0.5)), A.RandomShadow(shadow_intensity_range=(0.5, 0.5), p=1)),
        # (both: the red plane magnified by up to 2 %, blue the opposite way)
        "ChromaticAberration": (I.ChromaticAberration(magnification_range=(-0.02, 0.02)),
                                A.ChromaticAberration(primary_distortion_limit=(-0.02, 0.02),
                                                      secondary_distortion_limit=(0.0, 0.0), mode="red_blue", p=1)),
        "CLAHE": (I.CLAHE(clip_limit_range=(1.0, 4.0)), A.CLAHE(clip_limit=(1.0, 4.0), tile_grid_size=(8, 8), p=1)),
        "Defocus": (I.Defocus(radius_px_range=(1, 3)), A.Defocus(radius=(1, 3), alias_blur=(0.1, 0.1), p=1)),
        "Downscale": (I.Downscale(scale_range=(0.25, 0.5), downscale="nearest", upscale="nearest"),
                      A.Downscale(scale_range=(0.25, 0.5), p=1)),  # albumentations' default: nearest both ways
        "CoarseDropout": (I.CoarseDropout(holes_range=(1, 2), size_fraction_range=(0.1, 0.2), fill=0),
                          A.CoarseDropout(num_holes_range=(1, 2), hole_height_range=(0.1, 0.2),
                                          hole_width_range=(0.1, 0.2), fill=0, p=1)),
        "GridWarp": (I.GridWarp(num_steps=5, distort_limit=0.3), A.GridDistortion(num_steps=5, distort_limit=0.3, p=1)),
        "ElasticWarp": (I.ElasticWarp(alpha=30.0, sigma=5.0), A.ElasticTransform(alpha=30.0, sigma=5.0, p=1)),
        "PiecewiseAffine": (I.PiecewiseAffine(scale_range=(0.03, 0.05), num_rows=4, num_cols=4),
                            A.PiecewiseAffine(scale=(0.03, 0.05), nb_rows=4, nb_cols=4, p=1)),
        "OpticalDistortion": (I.OpticalDistortion(distortion_range=(-0.3, 0.3)),
                              A.OpticalDistortion(distort_limit=(-0.3, 0.3), p=1)),
        "Pipeline (Rotate+Scale+Contrast+GridWarp)": (pipe_ak, pipe_a),
        **canvas_rows(A),
    }


def canvas_rows(A) -> dict[str, Callable[[int, int], tuple[Callable, Callable]]]:
    """Crops, pads and resizes: their sizes follow the image size, so each row is built per size."""
    import cv2

    return {
        "Crop": lambda h, w: (I.Crop(x_min=w // 8, y_min=h // 8, x_max=w * 7 // 8, y_max=h * 7 // 8),
                              A.Crop(x_min=w // 8, y_min=h // 8, x_max=w * 7 // 8, y_max=h * 7 // 8, p=1)),
        "CenterCrop": lambda h, w: (I.CenterCrop(height=h * 3 // 4, width=w * 3 // 4),
                                    A.CenterCrop(height=h * 3 // 4, width=w * 3 // 4, p=1)),
        "RandomCrop": lambda h, w: (I.RandomCrop(height=h * 3 // 4, width=w * 3 // 4),
                                    A.RandomCrop(height=h * 3 // 4, width=w * 3 // 4, p=1)),
        "Pad (reflect)": lambda h, w: (I.Pad(padding_px=h // 8, border_mode="reflect"),
                                       A.Pad(padding=h // 8, border_mode=cv2.BORDER_REFLECT_101, p=1)),
        "Resize (half)": lambda h, w: (I.Resize(height=h // 2, width=w // 2),
                                                 A.Resize(height=h // 2, width=w // 2, p=1)),
        "LongestMaxSize (half)": lambda h, w: (I.LongestMaxSize(max_size_px=max(h, w) // 2),
                                               A.LongestMaxSize(max_size=max(h, w) // 2, p=1)),
        "PadIfNeeded": lambda h, w: (I.PadIfNeeded(min_height=h + h // 4, min_width=w + w // 4),
                                     A.PadIfNeeded(min_height=h + h // 4, min_width=w + w // 4, p=1)),
        # (the benchmark images carry no boxes: both libraries take their no-box window)
        "RandomSizedBBoxSafeCrop": lambda h, w: (
            I.RandomSizedBBoxSafeCrop(height=h, width=w, erosion_fraction=0.3, keep_aspect_ratio=False),
            partial(A.RandomSizedBBoxSafeCrop(height=h, width=w, erosion_rate=0.3, p=1), bboxes=np.zeros((0, 4)))),
        "SmallestMaxSize (half)": lambda h, w: (I.SmallestMaxSize(max_size_px=min(h, w) // 2),
                                                A.SmallestMaxSize(max_size=min(h, w) // 2, p=1)),
        "RandomResizedCrop": lambda h, w: (I.RandomResizedCrop(height=h, width=w),
                                           A.RandomResizedCrop(size=(h, w), p=1)),
    }


def _time(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _peak_ratio(fn: Callable[[], object], batch: np.ndarray) -> float:
    # from empty work-array pools: the buffers augkit keeps between calls are counted too
    from augkit.kernels import scratch

    scratch.clear()
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / batch.nbytes


def measure(name: str, t_ak, t_a, size_key: str, repeats: int, rng: np.random.Generator) -> dict:
    label, h, w, c, n = SIZES[size_key]
    batch = rng.integers(0, 256, size=(n, h, w, c), dtype=np.uint8)
    singles = [batch[i, ..., 0] if c == 1 else batch[i] for i in range(n)]
    alb = lambda: [t_a(image=img) for img in singles]  # noqa: E731
    # Two interleaved groups, each against albumentations in the same loop: augkit's default
    # (accelerated) path, then its NumPy reference path, whose huge temporaries would
    # otherwise churn the allocator between the other variants' repeats.
    groups = {
        "default": {"albumentations": alb, "augkit_batch": lambda: t_ak(image=batch),
                    "augkit_per_image": lambda: [t_ak(image=img) for img in singles]},
        "numpy": {"albumentations": alb, "augkit_numpy_batch": lambda: _numpy(lambda: t_ak(image=batch))},
    }
    speed: dict[str, dict[str, float]] = {}
    for gname, variants in groups.items():
        times: dict[str, list[float]] = {k: [] for k in variants}
        for fn in variants.values():  # warm-up: imports, caches, allocator
            fn()
            fn()
        for _ in range(repeats if gname == "default" else max(3, repeats // 2)):
            for key, fn in variants.items():
                times[key].append(_time(fn))
        speed[gname] = {k: n / statistics.median(v) for k, v in times.items()}
    flat = {**speed["default"], "augkit_numpy_batch": speed["numpy"]["augkit_numpy_batch"]}
    out = {"transform": name, "size": label, "batch": n, **{f"{k}_img_s": round(v, 1) for k, v in flat.items()}}
    out["augkit_batch_ratio"] = round(flat["augkit_batch"] / flat["albumentations"], 2)
    out["augkit_per_image_ratio"] = round(flat["augkit_per_image"] / flat["albumentations"], 2)
    out["augkit_numpy_batch_ratio"] = round(flat["augkit_numpy_batch"] / speed["numpy"]["albumentations"], 2)
    out["peak_memory_x_batch"] = round(_peak_ratio(lambda: t_ak(image=batch), batch), 2)
    return out


def _numpy(fn: Callable[[], object]) -> object:
    with use_backend("numpy"):
        return fn()


def import_time(samples: int = 5) -> dict[str, float]:
    """Median wall time of ``import augkit`` in fresh interpreters (seconds), two ways.

    ``"bytecode"``: with augkit's compiled bytecode in place, as every installed package runs
    (pip compiles it at install; an editable install writes it on first import), whatever
    ``PYTHONDONTWRITEBYTECODE`` says in this shell. ``"source"``: every augkit module
    compiled from source on import (an empty bytecode cache, nothing written) - the
    first import after an edit, or a shell that never writes bytecode.
    """
    import compileall
    import shutil
    import tempfile

    package = Path(ak.__file__).parent
    compileall.compile_dir(str(package), quiet=1)
    code = "import time; t = time.perf_counter(); import augkit; print(time.perf_counter() - t)"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    out = {}
    with tempfile.TemporaryDirectory() as tmp:  # a copy of augkit's sources alone, no bytecode
        shutil.copytree(package, Path(tmp) / "src" / "augkit", ignore=shutil.ignore_patterns("__pycache__"))
        run_in = Path(tmp) / "run"  # an empty folder: neither the repository nor the copy is the current one
        run_in.mkdir()
        source = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(Path(tmp) / "src")}
        for how, extra in (("bytecode", {}), ("source", source)):
            # run from the temporary folder: the current folder (the repository) is not on the path
            values = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                           env={**env, **extra}, cwd=run_in).stdout) for _ in range(samples)]
            out[how] = round(statistics.median(values), 3)
    return out


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import albumentations
    import cv2

    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
            "opencv": cv2.__version__, "albumentations": albumentations.__version__, "augkit": ak.__version__}


def to_markdown(results: list[dict]) -> str:
    head = ("| transform | size | albumentations img/s | augkit batch img/s | ratio | augkit per-image img/s "
            "| ratio | augkit NumPy path img/s | ratio | peak mem / batch |")
    lines = [head, "|" + "---|" * 10]
    for r in results:
        cells = [
            r["transform"], r["size"], f"{r['albumentations_img_s']:,.0f}", f"{r['augkit_batch_img_s']:,.0f}",
            f"**{r['augkit_batch_ratio']:.2f}**", f"{r['augkit_per_image_img_s']:,.0f}",
            f"{r['augkit_per_image_ratio']:.2f}", f"{r['augkit_numpy_batch_img_s']:,.0f}",
            f"{r['augkit_numpy_batch_ratio']:.2f}", f"{r['peak_memory_x_batch']:.2f}x",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def benchmark_args(argv: list[str] | None, doc: str, sizes: dict, default_sizes: str, repeats: int, out: str,
                   rows_help: str = "comma list of row names (default: all)") -> argparse.Namespace:
    """The options every side-by-side benchmark takes: --sizes, --rows, --repeats, --out."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--sizes", default=default_sizes, help="comma list of: " + ", ".join(sizes))
    parser.add_argument("--rows", default="", help=rows_help)
    parser.add_argument("--repeats", type=int, default=repeats)
    parser.add_argument("--out", default=out, help="where to write the JSON table")
    return parser.parse_args(argv)


def write_results(path: str, meta: dict, results: list[dict]) -> None:
    """The run as JSON: ``{"machine": meta, "results": results}`` (folders made as needed)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": meta, "results": results}, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = benchmark_args(argv, __doc__, SIZES, "32,64,256,512,32g", 7, "bench-out/image.json")
    try:
        import albumentations as A
        import cv2
    except ImportError:
        print("benchmarks.image needs albumentations: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    cv2.setNumThreads(1)
    table = rows(A)
    wanted = [r.strip() for r in args.rows.split(",") if r.strip()] or list(table)
    results = []
    rng = np.random.default_rng(0)
    for size_key in [s.strip() for s in args.sizes.split(",") if s.strip()]:
        for name in wanted:
            entry = table[name]
            _, h, w, c = SIZES[size_key][:4]
            if c == 1 and name in RGB_ONLY:
                continue
            t_ak, t_a = entry(h, w) if callable(entry) else entry
            results.append(measure(name, t_ak, t_a, size_key, args.repeats, rng))
            r = results[-1]
            print(f"{name:45s} {r['size']:12s} alb {r['albumentations_img_s']:9.0f}  "
                  f"augkit {r['augkit_batch_img_s']:9.0f}  x{r['augkit_batch_ratio']:.2f}", file=sys.stderr, flush=True)
    meta = machine()
    imports = import_time()
    meta["import_augkit_s"], meta["import_augkit_from_source_s"] = imports["bytecode"], imports["source"]
    md = to_markdown(results)
    print(md)
    print(f"\n`import augkit`: {meta['import_augkit_s']:.3f} s (bytecode compiled; "
          f"{meta['import_augkit_from_source_s']:.3f} s compiling from source). Machine: {meta}")
    write_results(args.out, meta, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
