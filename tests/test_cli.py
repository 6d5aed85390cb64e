"""The command line: ``augkit demo``."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
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
    a = np.asarray(Image.open(tmp_path / "a" / "demo_grid.png"))
    b = np.asarray(Image.open(tmp_path / "b" / "demo_grid.png"))
    assert np.array_equal(a, b)


def test_module_entry_point(tmp_path):
    res = subprocess.run([sys.executable, "-m", "augkit", "demo", "--out", str(tmp_path), "--columns", "1"],
                         capture_output=True, text=True, check=True)
    assert "demo_grid.png" in res.stdout


def test_bad_arguments_exit_nonzero(tmp_path):
    res = subprocess.run([sys.executable, "-m", "augkit", "demo"], capture_output=True, text=True, check=False)
    assert res.returncode == 2 and "--out" in res.stderr
    assert main(["demo", "--out", str(tmp_path), "--columns", "0"]) == 2
