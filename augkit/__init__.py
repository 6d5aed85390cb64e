"""augkit: batch-first data augmentation and synthesis.

>>> import augkit as ak
>>> pipe = ak.Compose([ak.image.Rotate(degrees_range=(-30, 30))], seed=0)
>>> speech = ak.Compose([ak.audio.Gain(gain_db_range=(-6, 6))], seed=0)
"""

from . import audio, image, synth
from .core import Compose, OneOf, SomeOf, from_dict, load, save, to_dict

__version__ = "0.1.0"

__all__ = ["Compose", "OneOf", "SomeOf", "__version__", "audio", "from_dict", "image", "load", "save", "synth",
           "to_dict"]
