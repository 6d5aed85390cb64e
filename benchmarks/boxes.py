"""Boxes through warps: augkit against albumentations 2.0.8, speed and how well boxes fit.

Run ``python -m benchmarks.boxes`` (after ``pip install -e ".[bench]"``). Detection and OCR
data carry boxes through every geometric transform, so two things matter: what the boxes
cost, and whether they still fit their objects afterwards.

- **Speed**: images with boxes per second, albumentations one image per call (with
  ``BboxParams``) against augkit on the whole batch, repeats interleaved, medians.
- **Fit**: each box is also drawn as its own mask channel, which goes through the same call
  (nearest-neighbour, as both libraries resample label masks). A box should be the extent of
  its mask: "loose" is how far the box reaches beyond the mask on its worst side, "cut" how
  far the mask reaches beyond the box (pixels, at the output size; means and 95th
  percentiles over the boxes that still show at least 9 mask pixels). A mask sampled at pixel
  centres misses slivers thinner than a pixel, so about 0.5-1 pixel of "loose" is the
  measurement, not the box.

Single-threaded (``OMP_NUM_THREADS=1``, ``cv2.setNumThreads(1)``).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import statistics  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402

import augkit as ak  # noqa: E402

from .image import _time, benchmark_args, machine, write_results  # noqa: E402

I = ak.image

#: (label, side, batch size, boxes per image)
SIZES = {"64": ("64x64 RGB", 64, 256, 5), "256": ("256x256 RGB", 256, 32, 10)}


def rows(A, side: int) -> dict[str, tuple[object, list]]:
    """Each row: (augkit transform or pipeline, albumentations transforms) with the same ranges."""
    crop = side * 3 // 4
    return {
        "Rotate": (I.Rotate(degrees_range=(-30, 30)), [A.Rotate(limit=(-30, 30), p=1)]),
        "Perspective": (I.Perspective(distortion_range=(0.05, 0.1)), [A.Perspective(scale=(0.05, 0.1), p=1)]),
        "GridWarp": (I.GridWarp(num_steps=5, distort_limit=0.3),
                     [A.GridDistortion(num_steps=5, distort_limit=0.3, p=1)]),
        "ElasticWarp": (I.ElasticWarp(alpha=30.0, sigma=5.0), [A.ElasticTransform(alpha=30.0, sigma=5.0, p=1)]),
        "OpticalDistortion": (I.OpticalDistortion(distortion_range=(-0.3, 0.3)),
                              [A.OpticalDistortion(distort_limit=(-0.3, 0.3), p=1)]),
        "Rotate + RandomCrop": (ak.Compose([I.Rotate(degrees_range=(-30, 30)), I.RandomCrop(height=crop, width=crop)]),
                                [A.Rotate(limit=(-30, 30), p=1), A.RandomCrop(height=crop, width=crop, p=1)]),
        "Rotate + Contrast + GridWarp": (
            ak.Compose([I.Rotate(degrees_range=(-30, 30)), I.Contrast(factor_range=(0.5, 1.5)),
                        I.GridWarp(num_steps=5, distort_limit=0.3)]),
            [A.Rotate(limit=(-30, 30), p=1),
             A.RandomBrightnessContrast(brightness_limit=0, contrast_limit=(-0.5, 0.5), p=1),
             A.GridDistortion(num_steps=5, distort_limit=0.3, p=1)]),
    }


def material(side: int, n: int, per_image: int, rng: np.random.Generator) -> tuple[np.ndarray, list[np.ndarray]]:
    """Random images and boxes of 8-40 % of the side, anywhere (some by the borders)."""
    images = rng.integers(0, 256, size=(n, side, side, 3), dtype=np.uint8)
    boxes = []
    for _ in range(n):
        size = rng.uniform(0.08, 0.4, (per_image, 2)) * side
        corner = rng.uniform(0, 1, (per_image, 2)) * (side - size)
        boxes.append(np.round(np.concatenate([corner, corner + size], axis=1)))
    return images, boxes


def speed(t_ak, A, t_a: list, images: np.ndarray, boxes: list[np.ndarray], repeats: int) -> dict[str, float]:
    labels = [list(range(len(b))) for b in boxes]
    alb = A.Compose(t_a, bbox_params=A.BboxParams(format="pascal_voc", label_fields=["labels"]))
    variants = {
        "albumentations": lambda: [alb(image=x, bboxes=b, labels=lab)
                                   for x, b, lab in zip(images, boxes, labels, strict=True)],
        "augkit_batch": lambda: t_ak(image=images, bboxes=boxes, bbox_labels=labels),
    }
    times: dict[str, list[float]] = {k: [] for k in variants}
    for fn in variants.values():
        fn()
    for _ in range(repeats):
        for key, fn in variants.items():
            times[key].append(_time(fn))
    return {k: len(images) / statistics.median(v) for k, v in times.items()}


def fit(t_ak, A, t_a: list, images: np.ndarray, boxes: list[np.ndarray]) -> dict[str, dict[str, float]]:
    """Loose and cut (pixels) of each library's boxes against their own masks."""
    side = images.shape[1]
    masks = np.zeros((len(images), side, side, boxes[0].shape[0]), np.uint8)
    for i, bs in enumerate(boxes):
        for k, (x0, y0, x1, y1) in enumerate(bs.astype(int)):
            masks[i, y0:y1, x0:x1, k] = 1
    labels = [list(range(len(b))) for b in boxes]
    alb = A.Compose(t_a, bbox_params=A.BboxParams(format="pascal_voc", label_fields=["labels"]))
    pairs = {"albumentations": [], "augkit": []}
    for i in range(len(images)):
        out = alb(image=images[i], masks=list(np.moveaxis(masks[i], -1, 0)), bboxes=boxes[i], labels=labels[i])
        pairs["albumentations"] += [(b, out["masks"][int(lab)])
                                    for b, lab in zip(out["bboxes"], out["labels"], strict=True)]
    out = t_ak(image=images, mask=masks, bboxes=boxes, bbox_labels=labels, rng=0)
    for i in range(len(images)):
        pairs["augkit"] += [(b, out["mask"][i, ..., int(lab)])
                            for b, lab in zip(out["bboxes"][i], out["bbox_labels"][i], strict=True)]
    result = {}
    for lib, items in pairs.items():
        loose, cut = [], []
        for box, mask in items:
            ys, xs = np.nonzero(np.asarray(mask))
            if xs.size < 9:
                continue
            extent = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=float)
            b = np.asarray(box, dtype=float)
            loose.append(max(extent[0] - b[0], extent[1] - b[1], b[2] - extent[2], b[3] - extent[3], 0.0))
            cut.append(max(b[0] - extent[0], b[1] - extent[1], extent[2] - b[2], extent[3] - b[3], 0.0))
        result[lib] = {"boxes": len(loose), "loose_mean": float(np.mean(loose)),
                       "loose_p95": float(np.percentile(loose, 95)), "cut_mean": float(np.mean(cut)),
                       "cut_p95": float(np.percentile(cut, 95))}
    return result


def to_markdown(results: list[dict]) -> str:
    lines = ["| transform | size | albumentations img/s | augkit batch img/s | ratio | loose px, alb / augkit "
             "(mean, p95) | cut px, alb / augkit (mean, p95) |", "|---|---|---|---|---|---|---|"]
    for r in results:
        a, k = r["fit"]["albumentations"], r["fit"]["augkit"]
        lines.append(f"| {r['transform']} | {r['size']} | {r['albumentations_img_s']:,.0f} | "
                     f"{r['augkit_batch_img_s']:,.0f} | **{r['ratio']:.2f}** | "
                     f"{a['loose_mean']:.2f}, {a['loose_p95']:.2f} / {k['loose_mean']:.2f}, {k['loose_p95']:.2f} | "
                     f"{a['cut_mean']:.2f}, {a['cut_p95']:.2f} / {k['cut_mean']:.2f}, {k['cut_p95']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = benchmark_args(argv, __doc__, SIZES, "64,256", 5, "bench-out/boxes.json")
    try:
        import albumentations as A
        import cv2
    except ImportError:
        print("benchmarks.boxes needs albumentations: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    cv2.setNumThreads(1)
    results = []
    for size_key in [s.strip() for s in args.sizes.split(",") if s.strip()]:
        label, side, n, per_image = SIZES[size_key]
        table = rows(A, side)
        wanted = [r.strip() for r in args.rows.split(",") if r.strip()] or list(table)
        images, boxes = material(side, n, per_image, np.random.default_rng(0))
        for name in wanted:
            t_ak, t_a = table[name]
            rates = speed(t_ak, A, t_a, images, boxes, args.repeats)
            quality = fit(t_ak, A, t_a, images[:64], boxes[:64])
            results.append({"transform": name, "size": label, "batch": n, "boxes_per_image": per_image,
                            **{f"{k}_img_s": round(v, 1) for k, v in rates.items()},
                            "ratio": round(rates["augkit_batch"] / rates["albumentations"], 2), "fit": quality})
            r = results[-1]
            print(f"{name:30s} {label:12s} alb {r['albumentations_img_s']:8.0f}  "
                  f"augkit {r['augkit_batch_img_s']:8.0f}  "
                  f"x{r['ratio']:.2f}  loose alb {quality['albumentations']['loose_mean']:.2f} "
                  f"augkit {quality['augkit']['loose_mean']:.2f}", file=sys.stderr, flush=True)
    md = to_markdown(results)
    print(md)
    meta = machine()
    print(f"\nMachine: {meta}")
    write_results(args.out, meta, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
