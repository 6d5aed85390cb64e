"""A contact sheet of generated samples with their character boxes drawn (for ``augkit demo``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

__all__ = ["contact_sheet", "run_synth_demo"]


def contact_sheet(samples: list[dict[str, Any]], *, scale: int = 2, columns: int = 3,
                  width: int = 360) -> Image.Image:
    """Tiles of ``samples`` (enlarged ``scale`` times) with quads drawn and the label beneath.

    Examples
    --------
    >>> from augkit.synth import TextImageGenerator
    >>> gen = TextImageGenerator(seed=0)
    >>> contact_sheet([gen[0], gen[1]], columns=2).mode
    'RGB'
    """
    label_h, pad = 14, 6
    cell_h = max(s["image"].shape[0] for s in samples) * scale + label_h
    rows = -(-len(samples) // columns)
    sheet = Image.new("RGB", (pad + columns * (width + pad), pad + rows * (cell_h + pad)), "white")
    draw = ImageDraw.Draw(sheet)
    for j, s in enumerate(samples):
        h, w = s["image"].shape[:2]
        # enlarged ``scale`` times; a sample wider than a cell (a long line) shrunk to fit it
        # whole instead, so that the tile shows every character of the label beneath it
        k = min(float(scale), width / w)
        size = (max(1, round(w * k)), max(1, round(h * k)))
        resample = Image.Resampling.NEAREST if k >= 1 else Image.Resampling.BOX
        tile = Image.fromarray(s["image"]).resize(size, resample)
        td = ImageDraw.Draw(tile)
        for quad in np.asarray(s["char_boxes"]) * k:
            td.polygon([tuple(map(float, p)) for p in quad], outline=(255, 40, 40))
        x0 = pad + (j % columns) * (width + pad)
        y0 = pad + (j // columns) * (cell_h + pad)
        sheet.paste(tile, (x0, y0))
        draw.text((x0, y0 + tile.height + 1), f"{s['text']!r}  {s['font']}"[:60], fill="black")
    return sheet


def run_synth_demo(out_dir: str | os.PathLike, *, seed: int = 0) -> Path:
    """Write ``synth_sheet.png``: words, a line and character patches, distorted, with their boxes."""
    from .. import image as aki
    from ..core.pipeline import Compose, OneOf
    from .generator import TextImageGenerator

    edge = {"border_mode": "edge"}  # no black corners on rotated text
    pipe = Compose([
        aki.Affine(degrees_range=(-6, 6), shear_degrees_range=(-12, 12), scale_range=(0.9, 1.05), **edge),
        OneOf([aki.Perspective(distortion_range=(0.02, 0.06), **edge),
               aki.GridWarp(num_steps=4, distort_limit=0.15, **edge)], p=0.6),
        aki.GaussianBlur(sigma_range=(0.2, 0.9), p=0.5),
        aki.Illumination(gradient_range=(0.0, 0.8), vignette_range=(0.0, 0.3), p=0.5),  # a lamp, a cheap lens
        aki.SensorNoise(white_photons_range=(50, 1000), p=0.5),                        # a phone camera's grain
    ])
    words = TextImageGenerator(mode="word", height=32, pipeline=pipe, seed=seed)
    chars = TextImageGenerator(mode="char", size=(32, 32), pipeline=pipe, seed=seed)
    lines = TextImageGenerator(mode="line", height=32, pipeline=pipe, seed=seed)
    samples = [words[i] for i in range(12)] + [chars[i] for i in range(6)] + [lines[0]]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "synth_sheet.png"
    contact_sheet(samples, columns=3).save(path)
    return path
