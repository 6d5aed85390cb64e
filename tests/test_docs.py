"""The documentation site: gallery coverage, runnable guides, examples in the API, a clean build."""

from __future__ import annotations

import importlib
import inspect
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import augkit as ak
from augkit.core.transform import Transform, registry
from augkit.demo import load_sample_image

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

import augkit_docs  # noqa: E402
import augkit_gallery as gallery  # noqa: E402

#: Guides whose code blocks are complete programs (the others show snippets with your own files).
RUNNABLE_GUIDES = ["quickstart", "seeding", "choosing", "extending"]
#: The guides the documentation promises, by file name.
GUIDES = ["quickstart", "seeding", "choosing", "audio", "synth", "analysis", "scaling", "extending"]


def exported_transforms() -> dict[str, type[Transform]]:
    """Every Transform subclass exported by a public module, by registered name."""
    ak.load_all()
    found = {}
    for module_name in ("augkit", "augkit.image", "augkit.audio", "augkit.interop"):
        mod = importlib.import_module(module_name)
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.isclass(obj) and issubclass(obj, Transform):
                found[obj.type_name()] = obj
    return found


def test_every_public_transform_has_a_gallery_entry():
    public = exported_transforms()
    missing = sorted(set(public) - set(gallery.ENTRIES) - set(gallery.NOT_IN_GALLERY))
    assert not missing, f"add gallery entries (docs/_ext/augkit_gallery.py ENTRIES) for: {missing}"
    stale = sorted(set(gallery.ENTRIES) - set(public))
    assert not stale, f"gallery entries for names that are not public transforms: {stale}"
    assert set(gallery.NOT_IN_GALLERY) <= set(public)
    assert set(gallery.public_transforms()) == set(gallery.ENTRIES)


def test_every_registered_augkit_transform_is_exported():
    # A transform defined in augkit but left out of its module's __all__ would escape the gallery test.
    ak.load_all()
    inside = {n for n, c in registry().items() if c.__module__.startswith("augkit.") and not n.startswith("_")}
    assert inside <= set(exported_transforms())


@pytest.mark.parametrize("name", sorted(gallery.ENTRIES))
def test_gallery_entry_builds_its_transform(name):
    for which in ("photo", "text"):
        t = gallery.build(name, which)
        assert type(t) is registry()[name]
        call = f"ak.{'audio' if name.startswith('audio.') else 'image'}.{name.split('.')[-1]}("
        assert gallery.source(name, which).startswith(call)


def test_gallery_image_grid_shows_input_and_independent_draws(tmp_path):
    png, thumb = gallery.render_image_entry("Rotate", tmp_path)
    with Image.open(png) as im:
        grid = np.asarray(im.convert("RGB"))
    photo = load_sample_image()
    pad, label_h = 6, 18
    tile = lambda row_y, col: grid[row_y:row_y + 256, pad + col * (256 + pad): pad + col * (256 + pad) + 256]  # noqa: E731
    y0 = pad + label_h
    assert np.array_equal(tile(y0, 0), photo)                    # first column: the input
    draws = [tile(y0, c) for c in range(1, gallery.COLUMNS + 1)]
    assert all(not np.array_equal(d, photo) for d in draws)      # each column transformed...
    assert len({d.tobytes() for d in draws}) == gallery.COLUMNS  # ...with its own parameters
    text_h = gallery.text_crop().shape[0]
    assert grid.shape[0] == pad + 3 * label_h + 2 * 256 + text_h + 3 * pad  # photo, text, targets rows
    with Image.open(thumb) as im:
        assert max(im.size) <= 240 and im.height <= 160
    pixel_png, _ = gallery.render_image_entry("Contrast", tmp_path)
    with Image.open(pixel_png) as im:
        assert im.height == pad + 2 * label_h + 256 + text_h + 2 * pad  # no targets row


def test_gallery_targets_row_follows_the_geometry(tmp_path):
    # The overlay row of a horizontal flip shows the box mirrored where the flip was drawn.
    t = gallery.build("HorizontalFlip")
    res = ak.Compose([t], keypoints_outside="flag")(
        image=np.repeat(load_sample_image()[None], gallery.COLUMNS, 0),
        mask=np.repeat(gallery.sample_mask()[None], gallery.COLUMNS, 0),
        bboxes=[[gallery.SAMPLE_BOX]] * gallery.COLUMNS, keypoints=[gallery.SAMPLE_KEYPOINTS] * gallery.COLUMNS, rng=0)
    x0, y0, x1, y1 = gallery.SAMPLE_BOX
    for i in range(gallery.COLUMNS):
        flipped = not np.array_equal(res["mask"][i], gallery.sample_mask())
        want = [256 - x1, y0, 256 - x0, y1] if flipped else gallery.SAMPLE_BOX
        assert np.allclose(res["bboxes"][i][0], want)
        _, xs = np.nonzero(res["mask"][i])
        assert xs.min() >= want[0] - 1 and xs.max() <= want[2]


def test_gallery_canvas_entry_shows_new_sizes_with_targets(tmp_path):
    png, _ = gallery.render_image_entry("RandomCrop", tmp_path)
    with Image.open(png) as im:
        grid = np.asarray(im.convert("RGB"))
    pad, label_h, text_h = 6, 18, gallery.text_crop().shape[0]
    targets_y = 3 * pad + 3 * label_h + 256 + text_h
    x1 = pad + 256 + pad
    crop = grid[targets_y:targets_y + 160, x1:x1 + 160]           # first draw with its targets: 160x160
    assert (crop != 255).any(axis=2).mean() > 0.99
    assert (grid[targets_y + 160 + 1:targets_y + 256, x1:x1 + 160] == 255).all()  # white below the crop


def test_gallery_audio_entry_writes_before_after_picture_and_sound(tmp_path):
    png, wav, _ = gallery.render_audio_entry("audio.Gain", tmp_path)
    clean = gallery.clean_speech()
    after, rate = ak.audio.load(wav)
    assert rate == gallery.RATE and after.shape == (1, clean.shape[0])
    gain = float(np.sqrt(np.mean(after**2) / np.mean(clean**2)))
    assert 10 ** (-12 / 20) - 0.01 <= gain <= 10 ** (-6 / 20) + 0.01     # the entry's gain_db_range
    with Image.open(png) as im:
        assert im.height > 2 * 400                                       # before above after


def test_ratio_chart_draws_a_bar_per_value_on_a_log_axis():
    svg = augkit_docs.ratio_chart("t", ["a", "b"], {"batch": [1.0, 10.0], "one": [0.1, 30.0]})
    widths = [float(w) for w in re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="8"', svg)]
    assert len(widths) == 4
    one, tenth, ten, thirty = widths                   # rows in order: a (batch, one), b (batch, one)
    assert tenth == 0.0                                # 0.1x: the left edge of the axis
    assert ten - one == pytest.approx(one - tenth, rel=0.01)      # log scale: 0.1 -> 1 -> 10 equal steps
    assert thirty == pytest.approx(ten + (ten - one) * np.log10(3), rel=0.01)


def documented_objects():
    """(qualified name, object) for every name the API reference documents."""
    for module_name in augkit_docs.API_MODULES:
        mod = importlib.import_module(module_name)
        for name in augkit_docs.public_names(module_name):
            yield f"{module_name}.{name}", getattr(mod, name)


def test_every_public_object_has_a_runnable_example():
    missing = [qual for qual, obj in documented_objects()
               if (inspect.isclass(obj) or callable(obj)) and ">>>" not in (inspect.getdoc(obj) or "")]
    assert not missing, f"add an Examples section (run as a doctest) to: {missing}"


def test_every_documented_method_is_shown_by_an_example():
    # The API pages list the methods of non-transform classes; each is run in its own example or
    # in its class's.
    missing = [f"{qual}.{m}" for qual, obj in documented_objects()
               if inspect.isclass(obj) and not augkit_docs.is_plain_transform(obj)
               for m in augkit_docs.methods_without_example(obj)]
    assert not missing, f"add examples for: {missing}"


def test_plain_transforms_document_parameters_not_methods():
    assert augkit_docs.is_plain_transform(ak.image.Rotate)
    assert not augkit_docs.is_plain_transform(ak.Compose)                  # a container: replay etc. shown
    assert not augkit_docs.is_plain_transform(importlib.import_module("augkit.core").PixelTransform)


def test_api_modules_cover_the_public_packages():
    documented = set(augkit_docs.API_MODULES)
    for name in ak.__all__:
        if inspect.ismodule(getattr(ak, name)):
            assert f"augkit.{name}" in documented, f"augkit.{name} has no API reference page"


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", path.read_text(encoding="utf-8"), flags=re.S | re.M)


@pytest.mark.parametrize("guide", RUNNABLE_GUIDES)
def test_guide_code_runs(guide, tmp_path):
    blocks = python_blocks(DOCS / f"{guide}.md")
    assert blocks
    script = tmp_path / f"{guide}.py"
    script.write_text("\n".join(blocks), encoding="utf-8")
    run = subprocess.run([sys.executable, str(script)], cwd=tmp_path, check=False, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, f"docs/{guide}.md code failed:\n{run.stderr[-3000:]}"


def test_index_lists_every_guide_and_reference():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for page in [*GUIDES, "generated/gallery/index", "generated/api/index", "generated/benchmarks"]:
        assert re.search(rf"^{re.escape(page)}$", index, flags=re.M), f"{page} is not in the index toctree"


def test_docs_build_with_warnings_as_errors(tmp_path):
    out = tmp_path / "html"
    run = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q", "-b", "html",
                          str(DOCS), str(out)], check=False, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"sphinx-build failed:\n{run.stderr[-5000:]}"
    gallery_index = (out / "generated" / "gallery" / "index.html").read_text(encoding="utf-8")
    for name in gallery.ENTRIES:
        page = gallery.page_name(name)
        assert f'href="{page}.html"' in gallery_index
        html = (out / "generated" / "gallery" / f"{page}.html").read_text(encoding="utf-8")
        assert f"{page}.png" in html
        if name in gallery.AUDIO_ENTRIES:
            assert html.count("<audio") == 2 and (out / "_static" / "gallery" / f"{page}.wav").is_file()
    api = (out / "generated" / "api" / "augkit.image.html").read_text(encoding="utf-8")
    assert 'id="augkit.image.Rotate"' in api and "Examples" in api
    bench = (out / "generated" / "benchmarks.html").read_text(encoding="utf-8")
    assert bench.count(".svg") >= 3
    for guide in GUIDES:
        assert (out / f"{guide}.html").is_file()
