"""Audio transforms, I/O and sound banks (waveforms ``(N, C, T)``, float32, full scale 1.0).

Noise: :class:`BackgroundNoise` (recorded noise from a :class:`NoiseBank` at an SNR),
:class:`GaussianNoise`. Channel: :class:`BadCellphone` (the whole telephone chain) and its
stages :class:`BandPass`, :class:`LowPass`, :class:`HighPass`, :class:`Resample`,
:class:`MuLaw`, :class:`PacketLoss`, :class:`Clipping`. Room: :class:`Reverb` (with an
:class:`ImpulseBank` or synthetic rooms). Level and time: :class:`Gain`,
:class:`Loudness` (to a level in dBFS), :class:`PolarityInversion`, :class:`TimeShift`,
:class:`TimeMask`, :class:`SpeedPerturb`.
Frequency masking: :class:`BandStop`.
Files: :func:`load`, :func:`save`, :func:`resample`.
"""

from .banks import ImpulseBank, NoiseBank
from .basic import Clipping, Gain, PolarityInversion, SpeedPerturb, TimeMask, TimeShift
from .channel import BadCellphone, MuLaw, PacketLoss
from .filters import BandPass, BandStop, HighPass, LowPass, Resample
from .io import load, resample, save
from .mixing import BackgroundNoise, GaussianNoise, Loudness
from .reverb import Reverb

__all__ = [
    "BackgroundNoise",
    "BadCellphone",
    "BandPass",
    "BandStop",
    "Clipping",
    "Gain",
    "GaussianNoise",
    "HighPass",
    "ImpulseBank",
    "Loudness",
    "LowPass",
    "MuLaw",
    "NoiseBank",
    "PacketLoss",
    "PolarityInversion",
    "Resample",
    "Reverb",
    "SpeedPerturb",
    "TimeMask",
    "TimeShift",
    "load",
    "resample",
    "save",
]
