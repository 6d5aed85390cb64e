"""Pipelines to and from plain dictionaries and JSON files.

A transform becomes ``{"type": <registered class name>, <field>: <value>, ...}`` with
tuples as lists and nested transforms as nested dictionaries. :func:`from_dict` rebuilds
the objects through their constructors, so every value is validated again. Resources
that hold data (such as :class:`augkit.audio.NoiseBank`) are written as
``{"resource": <name>, ...}`` describing where their data came from, and re-loaded.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from .transform import Transform, registry

__all__ = ["FORMAT_VERSION", "from_dict", "load", "register_resource", "save", "to_dict"]

#: Version of the serialized layout written by :func:`save`.
FORMAT_VERSION = 1

_RESOURCES: dict[str, Any] = {}


def register_resource(cls: type) -> type:
    """Class decorator: ``cls.to_config()`` / ``cls.from_config(dict)`` make it serializable."""
    _RESOURCES[cls.__name__] = cls
    return cls


def _encode(value: Any) -> Any:
    if isinstance(value, Transform):
        return to_dict(value)
    if type(value).__name__ in _RESOURCES:
        return {"resource": type(value).__name__, **value.to_config()}
    if isinstance(value, (frozenset, set)):
        return sorted((_encode(v) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def to_dict(transform: Transform) -> dict[str, Any]:
    """Describe a transform or pipeline as a JSON-compatible dictionary.

    Examples
    --------
    >>> import augkit as ak
    >>> ak.to_dict(ak.image.Rotate(degrees_range=(-10, 10)))["degrees_range"]
    [-10.0, 10.0]
    """
    if not isinstance(transform, Transform):
        raise TypeError(f"transform must be an augkit transform, got {type(transform).__name__}")
    out: dict[str, Any] = {"type": type(transform).type_name()}
    for f in dataclasses.fields(transform):
        if f.init:
            out[f.name] = _encode(getattr(transform, f.name))
    return out


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "type" in value:
        return from_dict(value)
    if isinstance(value, dict) and "resource" in value:
        if value["resource"] not in _RESOURCES:
            from .. import load_all

            load_all()
        cls = _RESOURCES.get(value["resource"])
        if cls is None:
            raise ValueError(f"unknown resource {value['resource']!r}; known: {', '.join(sorted(_RESOURCES))}")
        return cls.from_config({k: v for k, v in value.items() if k != "resource"})
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def from_dict(data: dict[str, Any]) -> Transform:
    """Rebuild a transform or pipeline from :func:`to_dict` output.

    Examples
    --------
    >>> import augkit as ak
    >>> t = ak.image.Gamma(gamma_range=(0.8, 1.2))
    >>> ak.from_dict(ak.to_dict(t)) == t
    True
    """
    if not isinstance(data, dict):
        raise TypeError(f"data must be a dict made by to_dict, got {type(data).__name__}")
    if "type" not in data:
        raise ValueError(f"data has no 'type' key naming the transform: {sorted(data)}")
    name = data["type"]
    classes = registry()
    if name not in classes:  # maybe in a subpackage not imported yet (augkit.audio, ...)
        from .. import load_all

        load_all()
        classes = registry()
    if name not in classes:
        raise ValueError(f"unknown transform type {name!r}; registered: {', '.join(sorted(classes))}")
    cls = classes[name]
    allowed = {f.name for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - allowed - {"type"})
    if unknown:
        raise ValueError(f"{name} has no option(s) {unknown}; expected some of {sorted(allowed)}")
    kwargs = {k: _decode(v) for k, v in data.items() if k != "type"}
    return cls(**kwargs)


def save(transform: Transform, path: str | os.PathLike) -> None:
    """Write a transform or pipeline to a JSON file (see :func:`load`).

    Examples
    --------
    >>> import augkit as ak, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "pipe.json")
    >>> ak.save(ak.Compose([ak.image.HorizontalFlip()], seed=3), path)
    >>> ak.load(path).seed
    3
    """
    doc = {"augkit_format": FORMAT_VERSION, "transform": to_dict(transform)}
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2)
        fh.write("\n")


def load(path: str | os.PathLike) -> Transform:
    """Read a transform or pipeline written by :func:`save`.

    Raises ``ValueError`` for a file that is not an augkit pipeline or has another format version.

    Examples
    --------
    >>> import os, tempfile
    >>> import augkit as ak
    >>> path = os.path.join(tempfile.mkdtemp(), "pipe.json")
    >>> pipe = ak.Compose([ak.image.Rotate(degrees_range=(-10, 10))], seed=1)
    >>> ak.save(pipe, path)
    >>> ak.load(path) == pipe
    True
    """
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    if not isinstance(doc, dict) or "transform" not in doc:
        raise ValueError(f"{os.fspath(path)!r} is not an augkit pipeline file (no 'transform' key)")
    version = doc.get("augkit_format")
    if version != FORMAT_VERSION:
        raise ValueError(f"{os.fspath(path)!r} has augkit_format {version!r}; this augkit reads {FORMAT_VERSION}")
    return from_dict(doc["transform"])
