"""augkit: batch-first data augmentation and synthesis.

>>> import augkit as ak
>>> pipe = ak.Compose([ak.image.Rotate(degrees_range=(-30, 30))], seed=0)
>>> speech = ak.Compose([ak.audio.Gain(gain_db_range=(-6, 6))], seed=0)
"""

from . import image
from .core import Compose, OneOf, SomeOf, from_dict, load, save, to_dict

__version__ = "0.1.0"

#: Subpackages imported on first use (keeps ``import augkit`` light).
_LAZY = ("analysis", "audio", "interop", "synth", "torch")


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'augkit' has no attribute {name!r}")


def load_all() -> None:
    """Import every transform module, so that all transforms are registered."""
    for name in _LAZY:
        __getattr__(name)

__all__ = ["Compose", "OneOf", "SomeOf", "__version__", "analysis", "audio", "from_dict", "image", "interop",
           "load", "save", "synth", "to_dict", "torch"]
