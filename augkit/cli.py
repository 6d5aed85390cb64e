"""Command line: ``augkit demo``, ``augkit synth``, ``augkit augment``, ``augkit preview``."""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .audio_demo import run_audio_demo
    from .demo import run_demo

    path = run_demo(args.out, columns=args.columns, seed=args.seed)
    print(f"wrote {path}")
    from .synth.sheet import run_synth_demo

    print(f"wrote {run_synth_demo(args.out, seed=args.seed)}")
    sounds = run_audio_demo(Path(args.out) / "audio", seed=args.seed)
    print(f"wrote {len(sounds)} audio files (clean, crowd, car, phone: WAV + waveform/spectrogram PNG) "
          f"in {sounds[0].parent}")
    return 0


def _synth(args: argparse.Namespace) -> int:
    from .core.serialize import load
    from .synth import RandomText, TextImageGenerator, WordList, write_dataset

    text = WordList.builtin("en") if args.charset is None else RandomText(charset=args.charset)
    pipeline = None if args.pipeline is None else load(args.pipeline)
    gen = TextImageGenerator(mode=args.mode, text=text, height=args.height, size=(args.height, args.height),
                             pipeline=pipeline, seed=args.seed)
    if args.scheduler:  # a Dask cluster: pip install "augkit[dask]"
        from distributed import Client

        with Client(args.scheduler) as client:
            manifest = write_dataset(gen, args.out, args.count, format=args.format, shard_size=args.shard_size,
                                     quiet=args.quiet, executor=client.get_executor(), png_level=args.png_level)
    else:
        manifest = write_dataset(gen, args.out, args.count, format=args.format, workers=args.workers,
                                 shard_size=args.shard_size, quiet=args.quiet, png_level=args.png_level)
    print(f"wrote {manifest['count']:,} {args.mode} images to {args.out} ({args.format})")
    return 0


def _load_pipeline(path: str) -> object:
    """A saved pipeline (``augkit.save``) as a Compose."""
    from .core.pipeline import Compose
    from .core.serialize import load

    pipe = load(path)
    return pipe if isinstance(pipe, Compose) else Compose([pipe])


def _augment(args: argparse.Namespace) -> int:
    from .folders import augment_folder

    pipe = _load_pipeline(args.config)
    kwargs = {"copies": args.copies, "seed": args.seed, "overwrite": args.overwrite, "quiet": args.quiet}
    if args.scheduler:  # a Dask cluster: pip install "augkit[dask]"
        from distributed import Client

        with Client(args.scheduler) as client:
            m = augment_folder(pipe, args.input, args.out, executor=client.get_executor(), **kwargs)
    else:
        m = augment_folder(pipe, args.input, args.out, workers=args.workers, **kwargs)
    print(f"wrote {sum(len(f['outputs']) for f in m['files'])} files for {len(m['files'])} inputs to {args.out}")
    return 0


def _preview(args: argparse.Namespace) -> int:
    from .folders import preview_grid

    pipe = _load_pipeline(args.config)
    preview_grid(pipe, args.image, count=args.count, columns=args.columns, seed=args.seed).save(args.out)
    print(f"wrote {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``augkit`` argument parser."""
    parser = argparse.ArgumentParser(prog="augkit", description="Batch-first data augmentation and synthesis.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="write a PNG grid of a sample image under several pipelines, a contact "
                                          "sheet of synthetic text images, and a sample sentence in a crowd, "
                                          "a car and on a bad phone")
    demo.add_argument("--out", required=True, help="output folder (created if missing)")
    demo.add_argument("--columns", type=int, default=6, help="random draws per pipeline (default 6)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.set_defaults(func=_demo)
    synth = sub.add_parser("synth", help="generate a synthetic OCR dataset (text in many fonts, distorted)")
    synth.add_argument("--mode", choices=("char", "word", "line"), default="word")
    synth.add_argument("--count", type=int, required=True, help="number of images")
    synth.add_argument("--out", required=True, help="output folder; re-running resumes an interrupted run")
    synth.add_argument("--format", choices=("folder", "webdataset", "lmdb"), default="folder")
    synth.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--height", type=int, default=32, help="image height (and char patch size)")
    synth.add_argument("--charset", default=None, help="random strings over these characters (default: English words)")
    synth.add_argument("--pipeline", default=None, help="JSON pipeline (augkit.save) applied to every image")
    synth.add_argument("--shard-size", type=int, default=1000)
    synth.add_argument("--png-level", type=int, choices=(0, 1, 2, 3), default=0,
                       help="PNG compression, 0 fastest (default) to 3 smallest; pixels are the same")
    synth.add_argument("--scheduler", default=None, help="Dask scheduler address (tcp://host:port) to run shards on")
    synth.add_argument("--quiet", action="store_true", help="no progress bar")
    synth.set_defaults(func=_synth)
    aug = sub.add_parser("augment", help="write augmented copies of every image and audio file in a folder")
    aug.add_argument("--config", required=True, help="pipeline JSON (augkit.save)")
    aug.add_argument("--in", dest="input", required=True, help="input folder (searched recursively)")
    aug.add_argument("--out", required=True, help="output folder (same relative layout, <name>__aug<k>.<ext>)")
    aug.add_argument("--copies", type=int, default=1)
    aug.add_argument("--seed", type=int, default=0)
    aug.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    aug.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    aug.add_argument("--scheduler", default=None, help="Dask scheduler address (tcp://host:port)")
    aug.add_argument("--quiet", action="store_true")
    aug.set_defaults(func=_augment)
    pre = sub.add_parser("preview", help="write a grid of draws of a pipeline on one image")
    pre.add_argument("--config", required=True, help="pipeline JSON (augkit.save)")
    pre.add_argument("image")
    pre.add_argument("--count", type=int, default=8)
    pre.add_argument("--columns", type=int, default=4)
    pre.add_argument("--seed", type=int, default=0)
    pre.add_argument("--out", default="preview.png")
    pre.set_defaults(func=_preview)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``augkit`` command."""
    args = build_parser().parse_args(argv)
    if getattr(args, "columns", 1) < 1 or getattr(args, "count", 1) < 1 or getattr(args, "copies", 1) < 1:
        print("augkit: --columns, --count and --copies must be >= 1", file=sys.stderr)
        return 2
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
