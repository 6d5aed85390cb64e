"""Command line: ``augkit demo --out DIR``."""

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
    sounds = run_audio_demo(Path(args.out) / "audio", seed=args.seed)
    print(f"wrote {len(sounds)} audio files (clean, crowd, car, phone: WAV + waveform/spectrogram PNG) "
          f"in {sounds[0].parent}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``augkit`` argument parser."""
    parser = argparse.ArgumentParser(prog="augkit", description="Batch-first data augmentation and synthesis.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="write a PNG grid of a sample image under several pipelines, "
                                          "and a sample sentence in a crowd, a car and on a bad phone")
    demo.add_argument("--out", required=True, help="output folder (created if missing)")
    demo.add_argument("--columns", type=int, default=6, help="random draws per pipeline (default 6)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.set_defaults(func=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``augkit`` command."""
    args = build_parser().parse_args(argv)
    if getattr(args, "columns", 1) < 1:
        print("augkit: --columns must be >= 1", file=sys.stderr)
        return 2
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
