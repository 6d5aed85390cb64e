"""Sphinx extension that writes the generated pages of augkit's documentation.

At ``builder-inited`` it writes, under ``docs/generated/`` (not tracked):

- ``gallery/``: one page per public transform (see ``augkit_gallery.py``) and an index of thumbnails;
  the pictures and sounds go to ``docs/_static/gallery/``;
- ``api/``: one reference page per public module, listing every name in its ``__all__`` (so a
  new public object is documented as soon as it is exported);
- ``benchmarks.md``: the ratio tables of ``benchmarks/results/*.json`` with SVG bar charts.

Files are rewritten only when their content changes, so incremental builds stay incremental.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
from pathlib import Path

import augkit_gallery as gallery
from sphinx.application import Sphinx

#: Public modules documented in the API reference, with a one-line description, in order.
API_MODULES = {
    "augkit": "Pipelines (containers), saving and loading.",
    "augkit.image": "Image transforms (geometric ones move masks, boxes and keypoints too).",
    "augkit.audio": "Audio transforms, noise and impulse-response banks, audio I/O.",
    "augkit.synth": "Synthetic OCR: fonts, text sources, the generator and dataset writers.",
    "augkit.analysis": "Error analysis and the data plans made from it.",
    "augkit.torch": "PyTorch integration (torch is imported on first use).",
    "augkit.interop": "albumentations interop (albumentations is imported on first use).",
    "augkit.folders": "Augmenting folders of files on disk.",
    "augkit.core": "Base classes and machinery, for writing your own transforms.",
    "augkit.testing.conformance": "Checks that a transform follows the house rules.",
}


def _write(path: Path, text: str | bytes) -> None:
    """Write ``text`` to ``path`` unless it already holds exactly that."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    if not path.exists() or path.read_bytes() != data:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def public_names(module_name: str) -> list[str]:
    """The documented names of a module: its ``__all__`` minus submodules, in order."""
    mod = importlib.import_module(module_name)
    return [n for n in mod.__all__ if not inspect.ismodule(getattr(mod, n))]


def _api_page(module_name: str, blurb: str, seen: dict[int, str]) -> str:
    """reST for one module; objects already documented under another name (``seen``) are linked."""
    mod = importlib.import_module(module_name)
    title = f"``{module_name}``"
    lines = [title, "=" * len(title), "", blurb, "", f".. module:: {module_name}", "   :no-index:", ""]
    for name in public_names(module_name):
        obj = getattr(mod, name)
        target = f"{module_name}.{name}"
        role = "class" if inspect.isclass(obj) else "func" if callable(obj) else "data"
        if id(obj) in seen:
            lines += [f"- ``{name}``: the same object as :{role}:`{seen[id(obj)]}`", ""]
            continue
        seen[id(obj)] = target
        if inspect.isclass(obj):
            lines += [f".. autoclass:: {target}"]
            if not is_plain_transform(obj):
                lines += ["   :members:"]
        elif callable(obj):
            lines += [f".. autofunction:: {target}"]
        else:
            lines += [f".. autodata:: {target}", "   :no-value:"]
        lines.append("")
    return "\n".join(lines)


def _is_transform(obj: type) -> bool:
    from augkit.core.transform import Transform

    return issubclass(obj, Transform)


def is_plain_transform(obj: type) -> bool:
    """A transform that is not a container: its parameters are its API; its methods are internals
    (``sample``/``apply_*``, documented once on the base classes)."""
    import dataclasses

    if not _is_transform(obj):
        return False
    names = {f.name for f in dataclasses.fields(obj)} if dataclasses.is_dataclass(obj) else set()
    return "transforms" not in names and obj.__module__ != "augkit.core.transform"


def documented_methods(obj: type) -> dict[str, object]:
    """The methods and properties autodoc shows for a class documented with ``:members:``."""
    found = {}
    for name, value in vars(obj).items():
        if name.startswith("_"):
            continue
        func = value.__func__ if isinstance(value, (classmethod, staticmethod)) else value
        func = func.fget if isinstance(func, property) else func
        if callable(func) and func.__doc__:
            found[name] = func
    return found


def write_api(out: Path) -> None:
    toc = ["API reference", "=============", "",
           "Every public class and function, from its numpydoc docstring. Each has an example,",
           "run as a doctest by the test suite.", "", ".. toctree::", "   :maxdepth: 1", ""]
    seen: dict[int, str] = {}
    for module_name, blurb in API_MODULES.items():
        _write(out / f"{module_name}.rst", _api_page(module_name, blurb, seen))
        toc.append(f"   {module_name}")
    _write(out / "index.rst", "\n".join(toc) + "\n")


# ---------------------------------------------------------------------------------------------
# Gallery pages

_KIND_TITLES = {"geometric": "Geometric image transforms", "canvas": "Crops, pads and resizes",
                "pixel": "Pixel-level image transforms", "audio": "Audio transforms"}


def _gallery_page(entry: gallery.Rendered, cls: type) -> str:
    page = gallery.page_name(entry.name)
    short = entry.name.split(".")[-1]
    module = "augkit.audio" if entry.kind == "audio" else "augkit.image"
    title = f"{short}" + (" (audio)" if entry.kind == "audio" else "")
    lines = [f".. _gallery-{page}:", "", title, "=" * len(title), "", gallery.summary(cls), "",
             f"API: :class:`{module}.{short}`", "", ".. code-block:: python", "", "   import augkit as ak"]
    if entry.kind == "audio" and "noise" in gallery.source(entry.name):
        lines.append(f"   {gallery.NOISE_SETUP}")
    lines += [f"   pipe = ak.Compose([{gallery.source(entry.name)}])"]
    if entry.kind == "audio":
        lines += ['   out = pipe(audio=clips, sample_rate=16000)["audio"]', ""]
        lines += ["The bundled sentence (16 kHz) before and after one draw: waveform above,",
                  "spectrogram (0 to 8 kHz, 80 dB range) below.", "",
                  f".. image:: /_static/gallery/{entry.picture.name}", f"   :alt: {short} before and after", "",
                  ".. raw:: html", "",
                  '   <p>Before: <audio controls preload="none" src="../../_static/gallery/speech-clean.wav">'
                  "</audio></p>",
                  f'   <p>After: <audio controls preload="none" src="../../_static/gallery/{entry.sound.name}">'
                  "</audio></p>", ""]
    else:
        lines += ['   out = pipe(image=batch)["image"]', ""]
        rows = "the bundled photograph and a synthetic text crop"
        if entry.kind == "canvas":
            lines += ["", "The text row uses sizes that suit a text line:", "", ".. code-block:: python", "",
                      f"   {gallery.source(entry.name, 'text')}", ""]
        if entry.kind in ("geometric", "canvas"):
            rows += ", and the photograph with a mask, a box and keypoints that follow the geometry"
        lines += [f"Rows: {rows}. The first column is the input; the others are independent draws of",
                  "one batched call (seed 0): every sample gets its own parameters.", "",
                  f".. image:: /_static/gallery/{entry.picture.name}", f"   :alt: {short} before and after", ""]
    return "\n".join(lines)


def write_gallery(out: Path, media: Path) -> None:
    rendered = gallery.render_gallery(media)
    classes = gallery.public_transforms()
    lines = ["Gallery", "=======", "",
             "Every public transform, drawn from a fixed seed on the bundled photograph, a synthetic",
             "text crop and (for geometric transforms) a mask, a box and keypoints; audio transforms",
             "on a spoken sentence, with waveform, spectrogram and sound before and after.", ""]
    for kind, title in _KIND_TITLES.items():
        entries = [r for r in rendered if r.kind == kind]
        lines += [title, "-" * len(title), "", ".. raw:: html", "", '   <div class="ak-gallery">']
        for r in entries:
            page = gallery.page_name(r.name)
            label = r.name.split(".")[-1]
            lines.append(f'   <a class="ak-thumb" href="{page}.html"><img src="../../_static/gallery/{r.thumb.name}" '
                         f'alt="{label}"/><span>{label}</span></a>')
        lines += ["   </div>", "", ".. toctree::", "   :hidden:", ""]
        lines += [f"   {gallery.page_name(r.name)}" for r in entries]
        lines.append("")
        for r in entries:
            _write(out / f"{gallery.page_name(r.name)}.rst", _gallery_page(r, classes[r.name]))
    _write(out / "index.rst", "\n".join(lines))


# ---------------------------------------------------------------------------------------------
# Benchmarks page

def ratio_chart(title: str, labels: list[str], series: dict[str, list[float]]) -> str:
    """A horizontal bar chart (log scale, 0.1x to 30x, a line at 1x) of speed ratios, as SVG.

    Examples
    --------
    >>> svg = ratio_chart("t", ["Rotate"], {"batch": [9.5]})
    >>> svg.startswith("<svg") and "9.5" in svg
    True
    """
    import math

    lo, hi = math.log10(0.1), math.log10(30.0)
    left, width, bar, gap = 260, 420, 9, 8
    colours = ["#1f5fbf", "#9bbbe8", "#e0873a"]
    row_h = bar * len(series) + gap
    height = 40 + row_h * len(labels) + 30

    def x(v: float) -> float:
        return left + width * (math.log10(min(max(v, 0.1), 30.0)) - lo) / (hi - lo)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 60}" height="{height}" '
           'font-family="sans-serif" font-size="11">',
           f'<text x="4" y="14" font-size="13" font-weight="bold">{title}</text>']
    for k, name in enumerate(series):
        out.append(f'<rect x="{left + 150 * k}" y="20" width="10" height="10" fill="{colours[k]}"/>'
                   f'<text x="{left + 150 * k + 14}" y="29">{name}</text>')
    for i, label in enumerate(labels):
        y0 = 40 + i * row_h
        out.append(f'<text x="{left - 6}" y="{y0 + row_h / 2}" text-anchor="end">{label}</text>')
        for k, values in enumerate(series.values()):
            v = values[i]
            y = y0 + k * bar
            out.append(f'<rect x="{x(0.1)}" y="{y}" width="{x(v) - x(0.1):.1f}" height="{bar - 1}" '
                       f'fill="{colours[k]}"/><text x="{x(v) + 3:.1f}" y="{y + bar - 1}" font-size="9">{v:g}</text>')
    axis_y = 40 + row_h * len(labels)
    for tick in (0.1, 0.3, 1, 3, 10, 30):
        out.append(f'<line x1="{x(tick):.1f}" y1="36" x2="{x(tick):.1f}" y2="{axis_y}" '
                   f'stroke="{"#000" if tick == 1 else "#ddd"}"/>'
                   f'<text x="{x(tick):.1f}" y="{axis_y + 14}" text-anchor="middle">{tick:g}x</text>')
    out.append("</svg>")
    return "\n".join(out)


def _groups(rows: list[dict], key: str) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(r[key], []).append(r)
    return groups


def write_benchmarks(root: Path, out: Path, media: Path) -> None:
    results = root / "benchmarks" / "results"
    lines = ["# Benchmarks", "",
             "Speed ratios against the established libraries, measured side by side in one process on",
             "the machine named in each section (single-threaded; medians of interleaved repeats). A ratio",
             "above 1 means augkit is faster. Method, routing decisions and the targets:",
             "`benchmarks/README.md`. Reproduce with `pip install -e \".[bench]\"` then",
             "`python -m benchmarks.image`, `python -m benchmarks.audio`, `python -m benchmarks.boxes` and",
             "`python -m benchmarks.synth`.", ""]
    image = json.loads((results / "image.json").read_text(encoding="utf-8"))
    lines += ["## Images, against albumentations", "", f"Machine: `{json.dumps(image['machine'])}`", ""]
    for size, rows in _groups(image["results"], "size").items():
        name = f"bench-image-{size.split()[0]}.svg"
        _write(media / name, ratio_chart(f"{size}, batch {rows[0]['batch']}", [r["transform"] for r in rows], {
            "augkit batch": [r["augkit_batch_ratio"] for r in rows],
            "augkit one image per call": [r["augkit_per_image_ratio"] for r in rows]}))
        lines += [f"![Speed ratios at {size}](/_static/gallery/{name})", ""]
    lines += ["### Table", "", (results / "image.md").read_text(encoding="utf-8"), ""]
    audio = json.loads((results / "audio.json").read_text(encoding="utf-8"))
    lines += ["## Audio, against audiomentations", "", f"Machine: `{json.dumps(audio['machine'])}`", ""]
    for clip, rows in _groups(audio["results"], "clip").items():
        name = f"bench-audio-{clip.replace(' ', '')}.svg"
        _write(media / name, ratio_chart(f"{clip} clips, batch {rows[0]['batch']}", [
            r["transform"].split(" / ")[0][:40] for r in rows], {
            "augkit batch": [r["augkit_batch_ratio"] for r in rows],
            "augkit one clip per call": [r["augkit_per_clip_ratio"] for r in rows]}))
        lines += [f"![Speed ratios for {clip} clips](/_static/gallery/{name})", ""]
    lines += ["### Table", "", (results / "audio.md").read_text(encoding="utf-8"), ""]
    boxes = json.loads((results / "boxes.json").read_text(encoding="utf-8"))
    lines += ["## Boxes through warps, against albumentations", "",
              "Speed with boxes, and how far each library's boxes reach beyond (loose) or fall short of (cut)",
              "the same rectangles warped as masks (`python -m benchmarks.boxes`).", "",
              f"Machine: `{json.dumps(boxes['machine'])}`", "",
              (results / "boxes.md").read_text(encoding="utf-8").split("\n\nMachine")[0], ""]
    synth = json.loads((results / "synth.json").read_text(encoding="utf-8"))
    modes = synth["modes"]
    columns = [k for k in modes["word"] if k not in ("memory", "disk_files")]
    lines += ["## Synthetic OCR, against trdg", "",
              "| augkit | " + " | ".join(f'`"{c}"` on disk' for c in columns)
              + " | in memory | the disk's own 5 KB files/s |", "|---|" + "---|" * (len(columns) + 2)]
    for mode, label in (("word", "words, 32 px"), ("char", "character crops, 32x32")):
        cells = [modes[mode][c] for c in (*columns, "memory", "disk_files")]
        lines.append(f"| {label} | " + " | ".join(f"{v:,.0f}" for v in cells) + " |")
    best = max(modes["word"][c] for c in columns)
    trdg = synth.get("trdg_word_images_per_s")  # (only in runs with --trdg-python)
    against = ("" if not trdg else f" trdg 1.8.0 writes {trdg:,.0f} word images/s as PNG files on the same machine; "
               f"augkit's best format does {best / trdg:.0f}x that.")
    lines += ["", f"images/s, single process, PNG via {synth['png_encoder']}.{against} See `benchmarks/README.md` "
              "for the method, the disk and the targets.", ""]
    _write(out / "benchmarks.md", "\n".join(lines))


def generate(app: Sphinx) -> None:
    src = Path(app.srcdir)
    media = src / "_static" / "gallery"
    write_api(src / "generated" / "api")
    write_gallery(src / "generated" / "gallery", media)
    write_benchmarks(src.parent, src / "generated", media)


def link_gallery(app: Sphinx, what: str, name: str, obj: object, options: object, lines: list[str]) -> None:
    """Add "See it in the gallery" under the summary of every transform that has a gallery page."""
    if what != "class" or not isinstance(obj, type) or not _is_transform(obj):
        return
    entry = obj.type_name()
    if entry in gallery.ENTRIES and name.startswith(("augkit.image.", "augkit.audio.")):
        at = lines.index("") if "" in lines else len(lines)
        lines[at:at] = ["", f"See it in the gallery: :ref:`gallery-{gallery.page_name(entry)}`."]


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", generate)
    app.connect("autodoc-process-docstring", link_gallery)
    app.add_css_file("augkit.css")
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}


def methods_without_example(obj: type) -> list[str]:
    """Documented methods of ``obj`` shown by no example: neither their own nor the class's.

    Examples
    --------
    >>> import augkit as ak
    >>> methods_without_example(ak.Compose)
    []
    """
    class_lines = [ln for ln in (inspect.getdoc(obj) or "").splitlines() if ln.lstrip().startswith((">>>", "..."))]
    missing = []
    for name, func in documented_methods(obj).items():
        if ">>>" in (func.__doc__ or ""):
            continue
        if not any(re.search(rf"\.{name}\b", ln) for ln in class_lines):
            missing.append(name)
    return missing
