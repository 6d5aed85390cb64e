"""Audio throughput: augkit against audiomentations 0.43.1, side by side in one process.

Run ``python -m benchmarks.audio`` (after ``pip install -e ".[bench]"``). Clips are 1 s and
10 s of 16 kHz speech (the bundled flite recording, repeated). audiomentations is called
the way its users call it, one clip per call; augkit on the whole batch ``(N, 1, T)`` and
one clip per call. The repeats of the variants are interleaved; medians are reported.
Both libraries read the same 16 kHz WAV noise files (crowd and car, from ``augkit/data``)
and the same impulse responses. Single-threaded (``OMP_NUM_THREADS=1``).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from importlib.resources import files  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

import augkit as ak  # noqa: E402
from augkit.kernels.reverb import synthetic_room_impulse  # noqa: E402

from .image import _time, benchmark_args, machine, write_results  # noqa: E402

RATE = 16000
#: (label, seconds, batch size)
SIZES = {"1s": ("1 s", 1.0, 64), "10s": ("10 s", 10.0, 8)}


def material(folder: Path) -> tuple[Path, Path]:
    """Write the noise files and impulse responses both libraries read; return their folders."""
    data = files("augkit") / "data" / "audio"
    noises, rooms = folder / "noises", folder / "rooms"
    noises.mkdir(parents=True, exist_ok=True)
    rooms.mkdir(parents=True, exist_ok=True)
    for name in ("babble", "car"):
        clip, _ = ak.audio.load(data / f"{name}.flac", RATE)
        sf.write(noises / f"{name}.wav", clip[0], RATE, subtype="PCM_16")
    for i, rt60 in enumerate((0.3, 0.5, 0.8)):
        h = synthetic_room_impulse(np.random.default_rng(i), rt60, 5.0, RATE)
        sf.write(rooms / f"room{i}.wav", h / np.abs(h).max(), RATE, subtype="FLOAT")
    return noises, rooms


def rows(am, noises: Path, rooms: Path) -> dict[str, tuple[object, Callable]]:
    """Each row: (augkit transform, audiomentations transform) with matching settings."""
    A = ak.audio
    bank = A.NoiseBank.from_folder(noises, sample_rate=RATE)
    irs = A.ImpulseBank.from_folder(rooms, sample_rate=RATE)
    # 300-3400 Hz: audiomentations' band is centre +- bandwidth/2 (centre 1850 Hz, width 3100 Hz)
    am_phone_like = am.Compose([
        am.AddBackgroundNoise(noises, min_snr_db=0, max_snr_db=20, p=1),
        am.BandPassFilter(min_center_freq=1850, max_center_freq=1850, min_bandwidth_fraction=3100 / 1850,
                          max_bandwidth_fraction=3100 / 1850, min_rolloff=24, max_rolloff=24, p=1),
        am.Gain(min_gain_db=-6, max_gain_db=6, p=1),
        am.ClippingDistortion(min_percentile_threshold=0, max_percentile_threshold=20, p=1),
    ])
    ak_phone_like = ak.Compose([
        A.BackgroundNoise(bank, snr_db_range=(0, 20)),
        A.BandPass(low_hz_range=(300, 300), high_hz_range=(3400, 3400), order=4),
        A.Gain(gain_db_range=(-6, 6)),
        A.Clipping(threshold_db_range=(-20, -1)),
    ])
    return {
        "BackgroundNoise / AddBackgroundNoise": (A.BackgroundNoise(bank, snr_db_range=(0, 20)),
                                                 am.AddBackgroundNoise(noises, min_snr_db=0, max_snr_db=20, p=1)),
        "Compose[noise, band-pass, gain, clipping] (both)": (ak_phone_like, am_phone_like),
        "BadCellphone(noise) / the audiomentations Compose above": (
            A.BadCellphone(noise=bank, snr_db_range=(0, 20)), am_phone_like),
        "Gain / Gain": (A.Gain(gain_db_range=(-6, 6)), am.Gain(min_gain_db=-6, max_gain_db=6, p=1)),
        "Loudness(peak, 0 dBFS) / Normalize": (A.Loudness(level_dbfs_range=(0, 0), measure="peak"),
                                               am.Normalize(p=1)),
        "GaussianNoise / AddGaussianSNR": (A.GaussianNoise(snr_db_range=(5, 40)),
                                           am.AddGaussianSNR(min_snr_db=5, max_snr_db=40, p=1)),
        "BandPass / BandPassFilter": (
            A.BandPass(low_hz_range=(300, 300), high_hz_range=(3400, 3400), order=4),
            am.BandPassFilter(min_center_freq=1850, max_center_freq=1850, min_bandwidth_fraction=3100 / 1850,
                              max_bandwidth_fraction=3100 / 1850, min_rolloff=24, max_rolloff=24, p=1)),
        # (audiomentations' band: centre +- bandwidth / 2, bandwidth a fraction of the centre: 1 octave
        # about 1 kHz is 707-1414 Hz, a bandwidth fraction of 0.707)
        "BandStop / BandStopFilter": (
            A.BandStop(center_hz_range=(1000, 1000), bandwidth_octaves_range=(1, 1), order=4),
            am.BandStopFilter(min_center_freq=1000, max_center_freq=1000, min_bandwidth_fraction=0.707,
                              max_bandwidth_fraction=0.707, min_rolloff=24, max_rolloff=24, p=1)),
        "Reverb(impulses) / ApplyImpulseResponse": (A.Reverb(impulses=irs), am.ApplyImpulseResponse(rooms, p=1)),
        # (both libraries' default 5 ms fades at the cuts)
        "TimeMask / TimeMask": (A.TimeMask(width_fraction_range=(0.01, 0.2), fade_s=0.005),
                                am.TimeMask(min_band_part=0.01, max_band_part=0.2, fade_duration=0.005, p=1)),
        "TimeShift / Shift": (A.TimeShift(shift_fraction_range=(-0.5, 0.5), fade_s=0.005),
                              am.Shift(min_shift=-0.5, max_shift=0.5, shift_unit="fraction", rollover=True,
                                       fade_duration=0.005, p=1)),
    }


def clips(seconds: float, n: int) -> np.ndarray:
    speech, _ = ak.audio.load(files("augkit") / "data" / "audio" / "speech.flac", RATE)
    length = round(seconds * RATE)
    reps = -(-length // speech.shape[1]) + 1
    long = np.tile(speech[0], reps)
    offsets = np.random.default_rng(0).integers(0, speech.shape[1], n)
    return np.stack([long[o: o + length] for o in offsets])[:, None, :].astype(np.float32)


def measure(name: str, t_ak, t_am, size_key: str, repeats: int) -> dict:
    label, seconds, n = SIZES[size_key]
    batch = clips(seconds, n)
    singles = [batch[i, 0] for i in range(n)]
    variants = {
        "audiomentations": lambda: [t_am(samples=x, sample_rate=RATE) for x in singles],
        "augkit_batch": lambda: t_ak(audio=batch, sample_rate=RATE),
        "augkit_per_clip": lambda: [t_ak(audio=x, sample_rate=RATE) for x in singles],
    }
    times: dict[str, list[float]] = {k: [] for k in variants}
    for fn in variants.values():  # warm-up: imports, file caches, filter designs
        fn()
        fn()
    for _ in range(repeats):
        for key, fn in variants.items():
            times[key].append(_time(fn))
    speed = {k: n / statistics.median(v) for k, v in times.items()}
    out = {"transform": name, "clip": label, "batch": n, **{f"{k}_clips_s": round(v, 1) for k, v in speed.items()}}
    out["augkit_batch_ratio"] = round(speed["augkit_batch"] / speed["audiomentations"], 2)
    out["augkit_per_clip_ratio"] = round(speed["augkit_per_clip"] / speed["audiomentations"], 2)
    return out


def to_markdown(results: list[dict]) -> str:
    lines = ["| augkit / audiomentations | clip | audiomentations clips/s | augkit batch clips/s | ratio "
             "| augkit per-clip clips/s | ratio |", "|" + "---|" * 7]
    for r in results:
        lines.append(f"| {r['transform']} | {r['clip']} | {r['audiomentations_clips_s']:,.0f} "
                     f"| {r['augkit_batch_clips_s']:,.0f} | **{r['augkit_batch_ratio']:.2f}** "
                     f"| {r['augkit_per_clip_clips_s']:,.0f} | {r['augkit_per_clip_ratio']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = benchmark_args(argv, __doc__, SIZES, "1s,10s", 9, "bench-out/audio.json",
                          rows_help="comma list of row-name prefixes (default: all)")
    try:
        import audiomentations as am
    except ImportError:
        print("benchmarks.audio needs audiomentations: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    warnings.filterwarnings("ignore", module="audiomentations")
    with tempfile.TemporaryDirectory() as tmp:
        noises, rooms = material(Path(tmp))
        table = rows(am, noises, rooms)
        prefixes = [r.strip() for r in args.rows.split(",") if r.strip()]
        wanted = [k for k in table if not prefixes or any(k.startswith(p) for p in prefixes)]
        results = []
        for size_key in [s.strip() for s in args.sizes.split(",") if s.strip()]:
            for name in wanted:
                results.append(measure(name, *table[name], size_key, args.repeats))
                r = results[-1]
                print(f"{name:58s} {r['clip']:5s} am {r['audiomentations_clips_s']:9.0f}  "
                      f"augkit {r['augkit_batch_clips_s']:9.0f}  x{r['augkit_batch_ratio']:.2f}",
                      file=sys.stderr, flush=True)
    meta = {k: v for k, v in machine().items() if k not in ("opencv", "albumentations")}
    meta.update({"audiomentations": am.__version__, "scipy": __import__("scipy").__version__,
                 "python": platform.python_version()})
    md = to_markdown(results)
    print(md)
    print(f"\nMachine: {meta}")
    write_results(args.out, meta, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
