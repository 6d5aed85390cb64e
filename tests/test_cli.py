"""The command line: ``augkit demo``."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import augkit as ak
from augkit.cli import main


def test_demo_writes_grid_and_configs(tmp_path):
    assert main(["demo", "--out", str(tmp_path / "d"), "--columns", "3"]) == 0
    grid = Image.open(tmp_path / "d" / "demo_grid.png")
    assert grid.mode == "RGB" and grid.size[0] == 4 + 4 * (256 + 4)
    arr = np.asarray(grid)
    assert arr.std() > 20  # real picture content, not a blank canvas
    configs = json.loads((tmp_path / "d" / "demo_pipelines.json").read_text())
    assert all(isinstance(ak.from_dict(c), ak.Compose) for c in configs.values())


def test_demo_and_benchmark_show_every_image_transform():
    from pathlib import Path

    from augkit.core.serialize import to_dict
    from augkit.core.transform import Transform
    from augkit.demo import demo_pipelines

    def types(node):
        if isinstance(node, dict):
            yield node.get("type")
            for v in node.values():
                yield from types(v)
        elif isinstance(node, list):
            for v in node:
                yield from types(v)

    shown = {t for p in demo_pipelines().values() for t in types(to_dict(p))}
    catalogue = {n for n in dir(ak.image) if isinstance(getattr(ak.image, n), type)
                 and issubclass(getattr(ak.image, n), Transform)}
    assert catalogue - shown <= {"VerticalFlip"}, catalogue - shown  # (HorizontalFlip shows mirroring)
    source = (Path(__file__).parents[1] / "benchmarks" / "image.py").read_text()
    assert {n for n in catalogue if f"I.{n}(" not in source} <= {"VerticalFlip"}


def test_demo_writes_the_sentence_in_a_crowd_a_car_and_on_a_phone(tmp_path):
    import soundfile as sf
    from scipy.signal import welch

    assert main(["demo", "--out", str(tmp_path), "--columns", "1"]) == 0
    folder = tmp_path / "audio"
    clips = {}
    for name in ("clean", "crowd", "car", "phone"):
        clips[name], rate = sf.read(folder / f"{name}.wav", dtype="float32")
        assert rate == 16000
        picture = Image.open(folder / f"{name}.png")
        assert picture.size == (800, 420) and np.asarray(picture).std() > 20
    assert len({len(c) for c in clips.values()}) == 1
    # the crowd version is the same sentence plus babble at 5-10 dB SNR (maybe scaled down for the WAV)
    clean, crowd = clips["clean"].astype(np.float64), clips["crowd"].astype(np.float64)
    scale = crowd @ clean / (clean @ clean)
    snr = 10 * np.log10(np.mean((scale * clean) ** 2) / np.mean((crowd - scale * clean) ** 2))
    assert 4.5 < snr < 10.5
    f, pxx = welch(clips["phone"], fs=16000, nperseg=1024)
    assert 10 * np.log10(pxx[f > 3500].mean() / pxx[(f > 500) & (f < 3000)].mean()) < -30
    configs = json.loads((folder / "audio_pipelines.json").read_text())
    assert sorted(configs) == ["car", "crowd", "phone"]


def test_demo_is_reproducible(tmp_path):
    main(["demo", "--out", str(tmp_path / "a"), "--columns", "2", "--seed", "4"])
    main(["demo", "--out", str(tmp_path / "b"), "--columns", "2", "--seed", "4"])
    a = _png(tmp_path / "a" / "demo_grid.png")
    b = _png(tmp_path / "b" / "demo_grid.png")
    assert np.array_equal(a, b)


def test_module_entry_point(tmp_path):
    res = subprocess.run([sys.executable, "-m", "augkit", "demo", "--out", str(tmp_path), "--columns", "1"],
                         capture_output=True, text=True, check=True)
    assert "demo_grid.png" in res.stdout


def test_bad_arguments_exit_nonzero(tmp_path):
    res = subprocess.run([sys.executable, "-m", "augkit", "demo"], capture_output=True, text=True, check=False)
    assert res.returncode == 2 and "--out" in res.stderr
    assert main(["demo", "--out", str(tmp_path), "--columns", "0"]) == 2


def _png(path):
    with Image.open(path) as im:
        return np.asarray(im)


def _image_folder(root):
    (root / "sub").mkdir(parents=True)
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (20, 30, 3), dtype=np.uint8)).save(root / "a.png")
    Image.fromarray(rng.integers(0, 255, (12, 12), dtype=np.uint8)).save(root / "sub" / "b.png")
    return root


def test_augment_writes_traceable_copies_reproducibly_and_never_overwrites(tmp_path):
    src = _image_folder(tmp_path / "in")
    ak.save(ak.Compose([ak.image.Rotate(degrees_range=(-30, 30)), ak.image.Contrast()]), tmp_path / "pipe.json")
    args = ["augment", "--config", str(tmp_path / "pipe.json"), "--in", str(src), "--copies", "3", "--quiet"]
    assert main([*args, "--out", str(tmp_path / "o1")]) == 0
    outs = sorted(p.relative_to(tmp_path / "o1").as_posix() for p in (tmp_path / "o1").rglob("*.png"))
    assert outs == ["a__aug0.png", "a__aug1.png", "a__aug2.png",
                    "sub/b__aug0.png", "sub/b__aug1.png", "sub/b__aug2.png"]
    a0 = _png(tmp_path / "o1" / "a__aug0.png")
    assert a0.shape == (20, 30, 3) and _png(tmp_path / "o1" / "sub" / "b__aug0.png").ndim == 2
    copies = [_png(tmp_path / "o1" / f"a__aug{k}.png") for k in range(3)]
    assert not np.array_equal(copies[0], copies[1])  # each copy draws for itself
    manifest = json.loads((tmp_path / "o1" / "augment_manifest.json").read_text())
    assert manifest["copies"] == 3 and [f["source"] for f in manifest["files"]] == ["a.png", "sub/b.png"]
    assert isinstance(ak.from_dict(manifest["pipeline"]), ak.Compose)
    # a file's draws depend on its path and the seed only, not on the other files
    (tmp_path / "in2").mkdir()
    Image.fromarray(_png(src / "a.png")).save(tmp_path / "in2" / "a.png")
    assert main([*args[:4], str(tmp_path / "in2"), "--copies", "3", "--quiet", "--out", str(tmp_path / "o2")]) == 0
    assert np.array_equal(_png(tmp_path / "o2" / "a__aug0.png"), copies[0])
    assert main([*args, "--out", str(tmp_path / "o3"), "--workers", "2"]) == 0  # processes: same files
    for rel in outs:
        assert np.array_equal(_png(tmp_path / "o3" / rel), _png(tmp_path / "o1" / rel))
    with pytest.raises(FileExistsError, match="overwrite"):
        main([*args, "--out", str(tmp_path / "o1")])
    assert main([*args, "--out", str(tmp_path / "o1"), "--overwrite"]) == 0


def test_augment_handles_audio_files(tmp_path):
    import soundfile as sf

    (tmp_path / "in").mkdir()
    sf.write(tmp_path / "in" / "c.wav", np.sin(np.arange(8000) / 7.0) * 0.5, 16000, subtype="PCM_16")
    ak.save(ak.Compose([ak.audio.Gain(gain_db_range=(0, 12))]), tmp_path / "a.json")
    assert main(["augment", "--config", str(tmp_path / "a.json"), "--in", str(tmp_path / "in"), "--out",
                 str(tmp_path / "out"), "--copies", "2", "--quiet"]) == 0
    y, rate = sf.read(tmp_path / "out" / "c__aug0.wav")
    assert rate == 16000 and len(y) == 8000 and sf.info(tmp_path / "out" / "c__aug0.wav").subtype == "PCM_16"
    assert np.abs(y).max() <= 1.0


def test_preview_writes_a_grid(tmp_path):
    src = _image_folder(tmp_path / "in")
    ak.save(ak.Compose([ak.image.HorizontalFlip()]), tmp_path / "p.json")
    assert main(["preview", "--config", str(tmp_path / "p.json"), str(src / "a.png"), "--count", "5",
                 "--columns", "3", "--out", str(tmp_path / "grid.png")]) == 0
    assert _png(tmp_path / "grid.png").shape == (2 + 2 * 22, 2 + 3 * 32, 3)


def test_augment_retries_a_failed_file_once(tmp_path, monkeypatch):
    import augkit.folders as F

    src = _image_folder(tmp_path / "in")
    calls = {"n": 0}
    real = F._augment_one

    def flaky(*args):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("disk hiccup")
        return real(*args)

    monkeypatch.setattr(F, "_augment_one", flaky)
    F.augment_folder(ak.Compose([ak.image.Invert()]), src, tmp_path / "out", quiet=True)
    assert calls["n"] == 3  # two files, the first one twice
    assert np.array_equal(_png(tmp_path / "out" / "a__aug0.png"), 255 - _png(src / "a.png"))
