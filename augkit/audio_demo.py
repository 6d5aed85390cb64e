"""The audio half of ``augkit demo``: one clean sentence said in a crowd, in a car, and over a bad phone."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from . import audio as aka
from .core.pipeline import Compose
from .core.serialize import to_dict

__all__ = ["audio_demo_pipelines", "render_clip", "run_audio_demo"]

RATE = 16000
WIDTH = 800
#: Colour map stops (position, RGB) for spectrograms: black, purple, orange, pale yellow.
STOPS = ((0.0, (0, 0, 4)), (0.35, (87, 16, 110)), (0.65, (229, 92, 48)), (1.0, (252, 255, 164)))


def _bank(*names: str) -> aka.NoiseBank:
    folder = resources.files("augkit") / "data" / "audio"
    return aka.NoiseBank.from_files([folder / f"{n}.flac" for n in names], sample_rate=RATE)


def audio_demo_pipelines() -> dict[str, Compose]:
    """The degradations the demo writes, by name (16 kHz)."""
    return {
        "crowd": Compose([aka.BackgroundNoise(_bank("babble"), snr_db_range=(5, 10))]),
        "car": Compose([aka.BackgroundNoise(_bank("car"), snr_db_range=(0, 5)),
                        aka.Reverb(rt60_s_range=(0.1, 0.2), drr_db_range=(6, 10))]),
        "phone": Compose([aka.BadCellphone(noise=_bank("babble", "car"), snr_db_range=(10, 20),
                                           loss_rate_range=(0.05, 0.1))]),
    }


def _colormap(values: NDArray) -> NDArray[np.uint8]:
    pos = np.array([s[0] for s in STOPS])
    rgb = np.array([s[1] for s in STOPS], np.float64)
    return np.stack([np.interp(values, pos, rgb[:, k]) for k in range(3)], axis=-1).astype(np.uint8)


def render_clip(clip: NDArray, sample_rate: int, title: str) -> Image.Image:
    """A waveform (top) and a spectrogram (0 to Nyquist, -80 to 0 dB) of a mono clip.

    Examples
    --------
    >>> render_clip(np.zeros(16000, np.float32), 16000, "silence").size
    (800, 420)
    """
    from scipy.signal import stft

    wave_h, spec_h, label_h = 120, 280, 20
    img = Image.new("RGB", (WIDTH, label_h + wave_h + spec_h), "white")
    draw = ImageDraw.Draw(img)
    draw.text((4, 4), f"{title}  ({len(clip) / sample_rate:.2f} s, {sample_rate} Hz)", fill="black")
    cols = np.array_split(clip, WIDTH)
    mid = label_h + wave_h / 2
    for x, c in enumerate(cols):
        if len(c):
            top, bottom = float(np.clip(c.max(), -1, 1)), float(np.clip(c.min(), -1, 1))
            draw.line([(x, mid - top * wave_h / 2), (x, mid - bottom * wave_h / 2)], fill=(30, 90, 200))
    _, _, z = stft(clip, fs=sample_rate, nperseg=512, noverlap=384)
    db = 20 * np.log10(np.abs(z) + 1e-9)
    db -= max(db.max(), -200.0)
    spec = _colormap(np.clip((db + 80.0) / 80.0, 0.0, 1.0))[::-1]
    img.paste(Image.fromarray(spec).resize((WIDTH, spec_h), Image.Resampling.BILINEAR), (0, label_h + wave_h))
    return img


def run_audio_demo(out_dir: str | os.PathLike, *, seed: int = 0) -> list[Path]:
    """Write the clean sample sentence and its crowd, car and phone versions (WAV + PNG each).

    Returns the paths written.

    Examples
    --------
    >>> import tempfile
    >>> sorted(p.name for p in run_audio_demo(tempfile.mkdtemp()))[:3]
    ['car.png', 'car.wav', 'clean.png']
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    clean, _ = aka.load(resources.files("augkit") / "data" / "audio" / "speech.flac", RATE)
    clips = {"clean": clean[0]}
    rng = np.random.default_rng(seed)
    pipes = audio_demo_pipelines()
    for name, pipe in pipes.items():
        clips[name] = pipe(audio=clean[0], sample_rate=RATE, rng=rng)["audio"]
    written = []
    for name, clip in clips.items():
        peak = float(np.abs(clip).max())
        safe = clip / peak * 0.99 if peak > 0.99 else clip  # scaled down (never clipped) for 16-bit WAV
        aka.save(out / f"{name}.wav", safe, RATE, subtype="PCM_16")
        render_clip(clip, RATE, name).save(out / f"{name}.png")
        written += [out / f"{name}.wav", out / f"{name}.png"]
    (out / "audio_pipelines.json").write_text(
        json.dumps({k: to_dict(p) for k, p in pipes.items()}, indent=2) + "\n", encoding="utf-8")
    return written
