"""Synthetic data for OCR: text rendered in many fonts, colours and contrasts, then distorted.

:class:`TextImageGenerator` makes character, word or line images with per-character boxes,
deterministic per index; :func:`write_dataset` writes them in formats training code reads.
Text sources: :class:`WordList`, :class:`RandomText`, :class:`Corpus`; fonts: :class:`FontBank`.
"""

from .dataset import read_folder_labels, write_dataset
from .fonts import FontBank
from .generator import TextImageGenerator
from .text import Corpus, RandomText, WordList

__all__ = ["Corpus", "FontBank", "RandomText", "TextImageGenerator", "WordList", "read_folder_labels",
           "write_dataset"]
