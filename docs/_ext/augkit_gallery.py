"""The transform gallery: one entry per public transform, rendered to pictures and sounds.

Each entry is the source of one constructor call, with settings strong enough to see (or
hear) what the transform does. ``render_gallery`` draws every entry from a fixed seed:

- image transforms: a grid whose rows are the bundled photograph, a synthetic text crop and,
  for geometric transforms, the photograph with a mask, a box and two keypoints following the
  geometry; the first column is the input, the others independent draws of one batched call;
- audio transforms: waveform and spectrogram of the bundled sentence before and after, and
  both as WAV files.

``tests/test_docs.py`` fails when a public transform has no entry here.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

import augkit as ak
from augkit.audio_demo import render_clip
from augkit.core.transform import CanvasTransform, GeometricTransform, Transform, registry
from augkit.demo import SAMPLE_BOX, SAMPLE_KEYPOINTS, load_sample_image

#: Registered transforms that get no gallery page, and why.
NOT_IN_GALLERY = {
    "Compose": "a container (see the guides)",
    "OneOf": "a container (see the guides)",
    "SomeOf": "a container (see the guides)",
    "Albumentations": "an adapter that runs an albumentations transform (see the interop guide)",
}

#: How ``noise`` is made in the audio entries (shown on their pages).
NOISE_SETUP = 'noise = ak.audio.NoiseBank.from_folder("noises/", sample_rate=16000)  # here: the bundled babble and car'

IMAGE_ENTRIES = {
    "Affine": "ak.image.Affine(degrees_range=(-20, 20), scale_range=(0.8, 1.1), translate_range=(-0.1, 0.1), "
              "shear_degrees_range=(-15, 15))",
    "Brightness": "ak.image.Brightness(delta_range=(-0.3, 0.3))",
    "CLAHE": "ak.image.CLAHE(clip_limit_range=(2.0, 8.0))",
    "CoarseDropout": 'ak.image.CoarseDropout(holes_range=(2, 5), size_fraction_range=(0.1, 0.25), fill="random")',
    "ColorJitter": "ak.image.ColorJitter(hue_degrees_range=(-60, 60), saturation_range=(0.3, 1.7), "
                   "value_range=(0.7, 1.3))",
    "Contrast": "ak.image.Contrast(factor_range=(0.3, 1.8))",
    "Defocus": "ak.image.Defocus(radius_px_range=(2, 5))",
    "Dilate": "ak.image.Dilate(radius_px_range=(1, 3))",
    "Downscale": "ak.image.Downscale(scale_range=(0.15, 0.35))",
    "ElasticWarp": "ak.image.ElasticWarp(alpha=300.0, sigma=10.0)",
    "Equalize": "ak.image.Equalize()",
    "Erode": "ak.image.Erode(radius_px_range=(1, 3))",
    "Gamma": "ak.image.Gamma(gamma_range=(0.4, 2.2))",
    "GaussianBlur": "ak.image.GaussianBlur(sigma_range=(1.0, 4.0))",
    "GaussianNoise": "ak.image.GaussianNoise(std_range=(0.05, 0.15))",
    "GridWarp": "ak.image.GridWarp(num_steps=5, distort_limit=0.4)",
    "HorizontalFlip": "ak.image.HorizontalFlip(p=0.5)",
    "Illumination": "ak.image.Illumination(gradient_range=(0.8, 1.2), vignette_range=(0.3, 0.6))",
    "Invert": "ak.image.Invert()",
    "JpegCompression": "ak.image.JpegCompression(quality_range=(3, 20))",
    "MotionBlur": "ak.image.MotionBlur(length_px_range=(9, 25))",
    "OpticalDistortion": "ak.image.OpticalDistortion(distortion_range=(-0.4, 0.4))",
    "Perspective": "ak.image.Perspective(distortion_range=(0.1, 0.25))",
    "PiecewiseAffine": "ak.image.PiecewiseAffine(scale_range=(0.02, 0.04), num_rows=5, num_cols=5)",
    "Posterize": "ak.image.Posterize(bits_range=(1, 3))",
    "Rotate": "ak.image.Rotate(degrees_range=(-45, 45))",
    "SaltPepper": "ak.image.SaltPepper(amount_range=(0.02, 0.1))",
    "Scale": "ak.image.Scale(scale_range=(0.6, 1.3))",
    "ChromaticAberration": "ak.image.ChromaticAberration(magnification_range=(-0.02, 0.02))",
    "Shadow": "ak.image.Shadow(darkness_range=(0.4, 0.7))",
    "Sharpen": "ak.image.Sharpen(sigma_range=(1.0, 2.5), amount_range=(1.5, 3.0))",
    "SensorNoise": "ak.image.SensorNoise(white_photons_range=(10, 60), read_noise_range=(0.002, 0.006))",
    "ToGray": "ak.image.ToGray()",
    "VerticalFlip": "ak.image.VerticalFlip(p=0.5)",
    "RandomRotate90": "ak.image.RandomRotate90()",
    "Transpose": "ak.image.Transpose(p=0.5)",
}

#: Entries that need square images: their text crop is padded square (edge pixels) first.
SQUARE_ONLY = {"RandomRotate90", "Transpose"}

#: Crops, pads and resizes: their sizes depend on the input, so the text crop gets its own call.
CANVAS_ENTRIES = {
    "CenterCrop": {"photo": "ak.image.CenterCrop(height=160, width=160)",
                   "text": "ak.image.CenterCrop(height=48, width=160)"},
    "Crop": {"photo": "ak.image.Crop(x_min=64, y_min=0, x_max=192, y_max=128)",
             "text": "ak.image.Crop(x_min=0, y_min=0, x_max=128, y_max=48)"},
    "LongestMaxSize": {"photo": "ak.image.LongestMaxSize(max_size_px=128)",
                       "text": "ak.image.LongestMaxSize(max_size_px=128)"},
    "PadIfNeeded": {
        "photo": 'ak.image.PadIfNeeded(min_height=320, min_width=320, position="random")',
        "text": 'ak.image.PadIfNeeded(min_height=96, min_width=288, position="random", border_mode="edge")'},
    "RandomSizedBBoxSafeCrop": {
        "photo": "ak.image.RandomSizedBBoxSafeCrop(height=192, width=192, erosion_fraction=0.5)",
        "text": "ak.image.RandomSizedBBoxSafeCrop(height=48, width=160, erosion_fraction=0.3)"},
    "SmallestMaxSize": {"photo": "ak.image.SmallestMaxSize(max_size_px=160)",
                        "text": "ak.image.SmallestMaxSize(max_size_px=32)"},
    "Pad": {"photo": 'ak.image.Pad(padding_px=32, border_mode="reflect")',
            "text": 'ak.image.Pad(padding_px=(32, 16), border_mode="edge")'},
    "RandomCrop": {"photo": "ak.image.RandomCrop(height=160, width=160)",
                   "text": "ak.image.RandomCrop(height=48, width=160)"},
    "RandomResizedCrop": {"photo": "ak.image.RandomResizedCrop(height=192, width=192, scale_range=(0.2, 1.0))",
                          "text": "ak.image.RandomResizedCrop(height=48, width=160, scale_range=(0.3, 1.0), "
                                  "ratio_range=(2.0, 5.0))"},
    "Resize": {"photo": "ak.image.Resize(height=128, width=256)",
               "text": 'ak.image.Resize(height=32, width=192, interpolation="area")'},
}
IMAGE_ENTRIES.update(CANVAS_ENTRIES)

AUDIO_ENTRIES = {
    "audio.BackgroundNoise": "ak.audio.BackgroundNoise(noise, snr_db_range=(0, 10))",
    "audio.BadCellphone": "ak.audio.BadCellphone(noise=noise, snr_db_range=(10, 20), loss_rate_range=(0.05, 0.1))",
    "audio.Loudness": "ak.audio.Loudness(level_dbfs_range=(-40, -20))",
    "audio.BandStop": "ak.audio.BandStop(center_hz_range=(500, 2000), bandwidth_octaves_range=(1, 2))",
    "audio.BandPass": "ak.audio.BandPass(low_hz_range=(300, 500), high_hz_range=(2000, 3000))",
    "audio.Clipping": "ak.audio.Clipping(threshold_db_range=(-20, -12))",
    "audio.Gain": "ak.audio.Gain(gain_db_range=(-12, -6))",
    "audio.GaussianNoise": "ak.audio.GaussianNoise(snr_db_range=(5, 15))",
    "audio.HighPass": "ak.audio.HighPass(cutoff_hz_range=(500, 1000))",
    "audio.LowPass": "ak.audio.LowPass(cutoff_hz_range=(1000, 2000))",
    "audio.MuLaw": 'ak.audio.MuLaw(laws=("mu",))',
    "audio.PacketLoss": "ak.audio.PacketLoss(loss_rate_range=(0.1, 0.2))",
    "audio.PolarityInversion": "ak.audio.PolarityInversion()",
    "audio.Resample": "ak.audio.Resample(rates_hz=(8000,))",
    "audio.Reverb": "ak.audio.Reverb(rt60_s_range=(0.5, 0.9), drr_db_range=(0, 3))",
    "audio.SpeedPerturb": "ak.audio.SpeedPerturb(factors=(0.8, 1.2))",
    "audio.TimeMask": "ak.audio.TimeMask(width_fraction_range=(0.1, 0.25))",
    "audio.TimeShift": "ak.audio.TimeShift(shift_fraction_range=(-0.3, 0.3), rollover=False)",
}

ENTRIES = {**IMAGE_ENTRIES, **AUDIO_ENTRIES}

COLUMNS = 4
RATE = 16000


def public_transforms() -> dict[str, type[Transform]]:
    """Every registered transform that should have a gallery page, by registry name."""
    ak.load_all()
    return {k: v for k, v in registry().items() if k not in NOT_IN_GALLERY}


@cache
def noise_bank() -> ak.audio.NoiseBank:
    folder = resources.files("augkit") / "data" / "audio"
    return ak.audio.NoiseBank.from_files([folder / "babble.flac", folder / "car.flac"], sample_rate=RATE)


def source(name: str, which: str = "photo") -> str:
    """The constructor call of entry ``name`` (canvas entries have one per input: photo, text)."""
    entry = ENTRIES[name]
    return entry[which] if isinstance(entry, dict) else entry


def build(name: str, which: str = "photo") -> Transform:
    """Construct the gallery entry ``name`` for the photo or the text crop (see :func:`source`)."""
    return eval(source(name, which), {"ak": ak, "noise": noise_bank()})


def page_name(name: str) -> str:
    """File name (no suffix) of an entry's page and media: ``audio.Gain`` -> ``audio-Gain``."""
    return name.replace(".", "-")


def summary(cls: type) -> str:
    """The first paragraph of a class docstring, on one line."""
    doc = inspect.getdoc(cls) or ""
    return " ".join(doc.split("\n\n")[0].split())


@cache
def text_crop() -> NDArray[np.uint8]:
    """A synthetic word image 256 pixels wide, from the OCR generator (fixed seed)."""
    gen = ak.synth.TextImageGenerator(mode="word", text=["Augment 42"], height=64, backgrounds=("gradient",), seed=3)
    img = Image.fromarray(gen[0]["image"]).convert("RGB")
    return np.asarray(img.resize((256, round(img.height * 256 / img.width)), Image.Resampling.LANCZOS))


@cache
def sample_mask() -> NDArray[np.uint8]:
    """An ellipse over the face of the sample photograph (the box is drawn around it)."""
    mask = Image.new("L", (256, 256), 0)
    ImageDraw.Draw(mask).ellipse(SAMPLE_BOX, fill=1)
    return np.asarray(mask)


def _overlay(image: NDArray, mask: NDArray, boxes: NDArray, points: NDArray, visible: NDArray) -> Image.Image:
    tinted = image.astype(np.float32)
    tinted[mask > 0] = 0.55 * tinted[mask > 0] + 0.45 * np.array([255, 40, 160], np.float32)
    tile = Image.fromarray(tinted.astype(np.uint8))
    draw = ImageDraw.Draw(tile)
    for b in np.asarray(boxes).reshape(-1, 4):
        draw.rectangle([float(b[0]), float(b[1]), float(b[2]) - 1, float(b[3]) - 1], outline=(255, 220, 0), width=2)
    for (x, y), vis in zip(np.asarray(points).reshape(-1, 2), np.asarray(visible), strict=True):
        if vis:
            draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill=(0, 255, 120), outline=(0, 0, 0))
    return tile


def _grid(rows: list[tuple[str, list[Image.Image]]]) -> Image.Image:
    pad, label_h = 6, 18
    width = max(t.width for _, tiles in rows for t in tiles)
    height = sum(max(t.height for t in tiles) + label_h + pad for _, tiles in rows) + pad
    grid = Image.new("RGB", (pad + len(rows[0][1]) * (width + pad), height), "white")
    draw = ImageDraw.Draw(grid)
    y = pad
    for label, tiles in rows:
        draw.text((pad, y + 2), label, fill="black")
        for col, tile in enumerate(tiles):
            grid.paste(tile, (pad + col * (width + pad), y + label_h))
        y += max(t.height for t in tiles) + label_h + pad
    return grid


def render_image_entry(name: str, out_dir: Path) -> list[Path]:
    """Write ``<page>.png`` (input and ``COLUMNS`` draws for each row) and ``thumb-<page>.png``;
    returns both paths."""
    transform = build(name)
    pipe = ak.Compose([transform])
    photo, text = load_sample_image(), text_crop()
    if name in SQUARE_ONLY:
        extra = text.shape[1] - text.shape[0]
        text = np.pad(text, ((extra // 2, extra - extra // 2), (0, 0), (0, 0)), mode="edge")
    photos = pipe(image=np.repeat(photo[None], COLUMNS, 0), rng=0)["image"]
    texts = ak.Compose([build(name, "text")])(image=np.repeat(text[None], COLUMNS, 0), rng=1)["image"]
    rows = [("photo: input, then independent draws", [Image.fromarray(a) for a in (photo, *photos)]),
            ("synthetic text crop", [Image.fromarray(a) for a in (text, *texts)])]
    if isinstance(transform, (GeometricTransform, CanvasTransform)):
        mask = sample_mask()
        res = ak.Compose([transform], keypoints_outside="flag")(
            image=np.repeat(photo[None], COLUMNS, 0), mask=np.repeat(mask[None], COLUMNS, 0),
            bboxes=[[SAMPLE_BOX]] * COLUMNS, bbox_labels=[["face"]] * COLUMNS,
            keypoints=[SAMPLE_KEYPOINTS] * COLUMNS, rng=0)
        tiles = [_overlay(photo, mask, np.asarray([SAMPLE_BOX]), np.asarray(SAMPLE_KEYPOINTS), np.ones(2, bool))]
        tiles += [_overlay(res["image"][i], res["mask"][i], res["bboxes"][i], res["keypoints"][i],
                           res["keypoints_visible"][i]) for i in range(COLUMNS)]
        rows.append(("mask (pink), box and keypoints follow the geometry", tiles))
    path = out_dir / f"{page_name(name)}.png"
    _grid(rows).save(path)
    # thumbnail: the first draw on the photo (with its targets, if any) above the first on the text
    top, bottom = rows[-1][1][1], rows[1][1][1]
    thumb = Image.new("RGB", (max(top.width, bottom.width), top.height + 6 + bottom.height), "white")
    thumb.paste(top, (0, 0))
    thumb.paste(bottom, (0, top.height + 6))
    return [path, _save_thumb(thumb, out_dir / f"thumb-{path.name}")]


@cache
def clean_speech() -> NDArray[np.float32]:
    clip, _ = ak.audio.load(resources.files("augkit") / "data" / "audio" / "speech.flac", RATE)
    return clip[0]


def _save_wav(path: Path, clip: NDArray) -> None:
    peak = float(np.abs(clip).max())
    ak.audio.save(path, clip / peak * 0.99 if peak > 0.99 else clip, RATE, subtype="PCM_16")


def render_audio_entry(name: str, out_dir: Path) -> list[Path]:
    """Write ``<page>.png`` (before above after), ``<page>.wav`` (after) and a thumbnail (the
    spectrogram after); returns the three paths."""
    clean = clean_speech()
    out = ak.Compose([build(name)])(audio=clean, sample_rate=RATE, rng=0)["audio"]
    before, after = render_clip(clean, RATE, "before"), render_clip(out, RATE, "after")
    img = Image.new("RGB", (before.width, before.height + after.height + 8), "white")
    img.paste(before, (0, 0))
    img.paste(after, (0, before.height + 8))
    png, wav = out_dir / f"{page_name(name)}.png", out_dir / f"{page_name(name)}.wav"
    img.save(png)
    _save_wav(wav, out)
    spectrogram_after = after.crop((0, after.height - 280, after.width, after.height))
    return [png, wav, _save_thumb(spectrogram_after, out_dir / f"thumb-{png.name}")]


def render_clean(out_dir: Path) -> Path:
    """The unprocessed sentence every audio page plays as 'before'."""
    path = out_dir / "speech-clean.wav"
    _save_wav(path, clean_speech())
    return path


def _save_thumb(img: Image.Image, path: Path) -> Path:
    """Save a small copy of ``img`` (at most 240x160) for the gallery index."""
    thumb = img.copy()
    thumb.thumbnail((240, 160))
    thumb.save(path, optimize=True)
    return path


@dataclass(frozen=True)
class Rendered:
    """What one entry's page shows."""

    name: str
    kind: str  # "geometric", "canvas", "pixel" or "audio"
    picture: Path
    thumb: Path
    sound: Path | None


def render_gallery(out_dir: Path) -> list[Rendered]:
    """Render every entry into ``out_dir``; returns them in page order (kind, then name)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    classes = public_transforms()
    done = []
    for name in sorted(ENTRIES):
        cls = classes[name]
        if name in AUDIO_ENTRIES:
            png, wav, thumb = render_audio_entry(name, out_dir)
            done.append(Rendered(name, "audio", png, thumb, wav))
        else:
            png, thumb = render_image_entry(name, out_dir)
            kind = ("geometric" if issubclass(cls, GeometricTransform)
                    else "canvas" if issubclass(cls, CanvasTransform) else "pixel")
            done.append(Rendered(name, kind, png, thumb, None))
    render_clean(out_dir)
    order = {"geometric": 0, "canvas": 1, "pixel": 2, "audio": 3}
    return sorted(done, key=lambda r: (order[r.kind], r.name))
