"""``augkit demo``: a picture of what augkit does, from a bundled sample image."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from . import image as aki
from .core.pipeline import Compose, OneOf
from .core.serialize import to_dict

__all__ = ["demo_pipelines", "load_sample_image", "run_demo"]


def load_sample_image() -> NDArray[np.uint8]:
    """The bundled 256x256 RGB sample photograph (public domain; see ``augkit/data/README.md``).

    Examples
    --------
    >>> load_sample_image().shape
    (256, 256, 3)
    """
    with resources.files("augkit").joinpath("data/astronaut.png").open("rb") as fh:
        return np.asarray(Image.open(fh).convert("RGB"))


def demo_pipelines() -> dict[str, Compose]:
    """The named pipelines shown by the demo, one row each."""
    return {
        "rotate + scale": Compose([aki.Rotate(degrees_range=(-30, 30)), aki.Scale(scale_range=(0.8, 1.2))]),
        "affine + perspective": Compose([
            aki.Affine(degrees_range=(-10, 10), translate_range=(-0.1, 0.1), shear_degrees_range=(-15, 15)),
            aki.Perspective(distortion_range=(0.05, 0.15)),
        ]),
        "contrast / brightness / gamma / lighting / shadow": Compose([
            aki.Contrast(factor_range=(0.5, 1.5)), aki.Brightness(delta_range=(-0.25, 0.25)),
            aki.Gamma(gamma_range=(0.6, 1.6)), aki.ColorJitter(hue_degrees_range=(-30, 30)),
            aki.CLAHE(clip_limit_range=(1.0, 4.0), p=0.5), aki.Illumination(gradient_range=(0.3, 1.0), p=0.6),
            aki.Shadow(darkness_range=(0.3, 0.6), p=0.5),
        ]),
        "grey / posterize / blur / sharpen / invert": Compose([
            aki.ToGray(p=0.5), aki.Posterize(bits_range=(2, 5), p=0.5),
            aki.GaussianBlur(sigma_range=(0.5, 2.5), p=0.5), aki.Sharpen(sigma_range=(1.0, 2.0), p=0.5),
            aki.Invert(p=0.3),
        ]),
        "jpeg / motion blur / erode / cut-out / colour fringes": Compose([
            aki.JpegCompression(quality_range=(5, 30), p=0.6), aki.MotionBlur(length_px_range=(5, 15), p=0.6),
            aki.Erode(radius_px_range=(1, 2), p=0.3), aki.CoarseDropout(holes_range=(1, 3), fill="random"),
            aki.Downscale(scale_range=(0.25, 0.5), p=0.3), aki.Defocus(radius_px_range=(1, 3), p=0.3),
            aki.ChromaticAberration(magnification_range=(-0.015, 0.015), p=0.5),
        ]),
        "sensor noise / noise / salt & pepper / equalize / dilate": Compose([
            aki.SensorNoise(white_photons_range=(20, 300), read_noise_range=(0.0, 0.004), p=0.6),
            aki.GaussianNoise(std_range=(0.03, 0.1), p=0.3), aki.SaltPepper(amount_range=(0.01, 0.05), p=0.4),
            aki.Equalize(p=0.5), aki.Dilate(radius_px_range=(1, 2), p=0.3),
        ]),
        "optical distortion / piecewise affine": Compose([
            aki.OpticalDistortion(distortion_range=(-0.4, 0.4)),
            aki.PiecewiseAffine(scale_range=(0.02, 0.04), p=0.6),
        ]),
        "random resized crop / pad + random crop": Compose([
            aki.Pad(padding_px=32, border_mode="reflect"), aki.RandomCrop(height=288, width=288),
            aki.RandomResizedCrop(height=256, width=256, scale_range=(0.3, 1.0)),
        ]),
        "crop / centre crop / shorter, longer side / pads / resize + box": Compose([
            aki.Crop(x_min=24, y_min=0, x_max=232, y_max=224), aki.CenterCrop(height=192, width=176),
            aki.SmallestMaxSize(max_size_px=200), aki.LongestMaxSize(max_size_px=160),
            aki.Pad(padding_px=(16, 8), border_mode="edge"),
            aki.PadIfNeeded(min_height=208, min_width=208, position="random"), aki.Resize(height=256, width=256),
        ]),
        "box-safe crop + box": Compose([aki.RandomSizedBBoxSafeCrop(height=256, width=256)]),
        "quarter turns / transpose + box": Compose([aki.RandomRotate90(), aki.Transpose(p=0.5)]),
        "grid warp": Compose([aki.GridWarp(num_steps=5, distort_limit=0.4)]),
        "elastic warp": Compose([aki.ElasticWarp(alpha=200.0, sigma=10.0)]),
        "full pipeline + box + keypoints": Compose([
            aki.Rotate(degrees_range=(-30, 30)), aki.Scale(scale_range=(0.8, 1.2)),
            aki.Contrast(factor_range=(0.5, 1.5)),
            OneOf([aki.GridWarp(num_steps=5, distort_limit=0.3), aki.ElasticWarp(alpha=30.0, sigma=5.0)], p=0.5),
            aki.HorizontalFlip(),
        ]),
    }


#: A box around the face and two keypoints (the eyes) of the sample image, pascal_voc.
SAMPLE_BOX = [88.0, 10.0, 150.0, 92.0]
SAMPLE_KEYPOINTS = [[106.0, 46.0], [129.0, 46.0]]


def _draw_targets(img: Image.Image, boxes: NDArray, points: NDArray, visible: NDArray) -> None:
    draw = ImageDraw.Draw(img)
    for b in boxes:
        draw.rectangle([float(b[0]), float(b[1]), float(b[2]) - 1, float(b[3]) - 1], outline=(255, 220, 0), width=2)
    for (x, y), vis in zip(points, visible, strict=True):
        if vis:
            draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=(0, 255, 120))


def run_demo(out_dir: str | os.PathLike, *, columns: int = 6, seed: int = 0) -> Path:
    """Write ``demo_grid.png`` (sample image under several pipelines) and their configs.

    Each row shows the original and ``columns`` independent draws of one pipeline, all
    computed in one batched call. Returns the path of the PNG.

    Examples
    --------
    >>> import tempfile
    >>> run_demo(tempfile.mkdtemp(), columns=2).name
    'demo_grid.png'
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sample = load_sample_image()
    h, w = sample.shape[:2]
    pipes = demo_pipelines()
    pad, label_h = 4, 16
    grid = Image.new("RGB", (pad + (columns + 1) * (w + pad), len(pipes) * (h + label_h + pad) + pad), "white")
    draw = ImageDraw.Draw(grid)
    batch = np.repeat(sample[None], columns, axis=0)
    rng = np.random.default_rng(seed)
    for row, (name, pipe) in enumerate(pipes.items()):
        y0 = pad + row * (h + label_h + pad)
        draw.text((pad, y0), name, fill="black")
        res = pipe(image=batch, bboxes=[[SAMPLE_BOX]] * columns, keypoints=[SAMPLE_KEYPOINTS] * columns,
                   rng=rng)
        tiles = [(sample, [SAMPLE_BOX], SAMPLE_KEYPOINTS, [True, True])]
        tiles += [(res["image"][i], res["bboxes"][i], res["keypoints"][i], res["keypoints_visible"][i])
                  for i in range(columns)]
        for col, (arr, boxes, pts, vis) in enumerate(tiles):
            tile = Image.fromarray(arr)
            if name.endswith("box") or row == len(pipes) - 1:
                _draw_targets(tile, np.asarray(boxes), np.asarray(pts), np.asarray(vis))
            grid.paste(tile, (pad + col * (w + pad), y0 + label_h))
    path = out / "demo_grid.png"
    grid.save(path)
    configs = {name: to_dict(p) for name, p in pipes.items()}
    (out / "demo_pipelines.json").write_text(json.dumps(configs, indent=2) + "\n", encoding="utf-8")
    return path
