"""A fused geometry plan: the queued geometric transforms of some samples, composed.

Each sample's geometry is a chain ``H0, F1, H1, F2, ..., Fm, Hm``: ``Hr`` is the product of
the sample's consecutive matrix transforms (identity when there are none) and ``Fr`` its
r-th displacement-field warp. The structure is decided per sample from its own
transforms only, so a sample is computed exactly the same way whatever else is in the
batch (batch results equal per-sample results bit for bit).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..kernels.fields import FIELD_CHUNK_POINTS
from ..kernels.geometry import (
    _TO_CONTINUOUS,
    _TO_INDEX,
    homography_source_coords,
    identity_matrices,
    invert_matrices,
    map_points,
)
from ..kernels.scratch import work_array
from .transform import GeometricTransform, Meta, Params, take_params

__all__ = ["GeometryPlan", "Op"]


def member_mask(values: NDArray, members: NDArray) -> NDArray[np.bool_]:
    """``np.isin(values, members)`` for small non-negative integer indices, by a lookup table
    (np.isin sorts: ~70 us a call, which adds up on one-image calls)."""
    if values.size == 0 or members.size == 0:
        return np.zeros(values.shape, dtype=bool)
    table = np.zeros(int(max(values.max(), members.max())) + 1, dtype=bool)
    table[members] = True
    return table[values]


@dataclass(frozen=True)
class Op:
    """One queued geometric transform: its full-batch params and the samples it applies to."""

    t: GeometricTransform
    params: Params
    idx: NDArray  # sorted global sample indices


def _sub(params: Params, meta: Meta, idx: NDArray) -> tuple[Params, Meta]:
    """Params and meta of samples ``idx`` (no copies when ``idx`` is the whole batch)."""
    if idx.size == meta.n and (idx.size == 0 or idx[-1] == meta.n - 1):
        return params, meta
    return take_params(params, idx), meta.take(idx)


class GeometryPlan:
    """Composed geometry of the samples touched by ``ops`` (internal)."""

    def __init__(self, ops: list[Op], meta: Meta) -> None:
        self.meta = meta
        self.ops = ops
        # fields built for points, by (op, owners): boxes and keypoints of the same samples share
        # one (an elastic field is a Gaussian-smoothed per-pixel noise image: ~1 ms at 256x256)
        self._point_fields: dict[tuple[int, bytes], object] = {}
        self._identity_runs: dict[int, bool] = {}  # run -> are all its matrices the identity
        if len(ops) == 1:
            self.touched = ops[0].idx
        else:  # an op that reaches the whole batch touches every sample (its idx is arange(n))
            whole = next((op.idx for op in ops if op.idx.size == meta.n), None)
            self.touched = whole if whole is not None else np.unique(np.concatenate([op.idx for op in ops]))
        k = len(self.touched)
        self.fields: list[list[tuple[int, NDArray]]] = []  # fields[r-1]: (op index, local samples) for F_r
        if len(ops) == 1:  # (what the loop below makes of one op, without its bookkeeping)
            m = ops[0].t.matrices(*_sub(ops[0].params, meta, ops[0].idx))
            if m is not None:
                self.runs, self.nf = [m], np.zeros(k, dtype=np.intp)
            else:
                self.runs, self.nf = [identity_matrices(k), identity_matrices(k)], np.ones(k, dtype=np.intp)
                self.fields.append([(0, np.arange(k))])
            return
        self.runs: list[NDArray] = [identity_matrices(k)]
        nf = np.zeros(k, dtype=np.intp)
        level: int | None = 0  # the field count of every sample while they are all equal
        everyone: NDArray | None = None
        for j, op in enumerate(ops):
            m = op.t.matrices(*_sub(op.params, meta, op.idx))
            if level is not None and op.idx.size == k:  # every sample, at one step (usual): as below,
                if m is not None:  # without the index bookkeeping
                    self.runs[level] = m @ self.runs[level]
                else:
                    while len(self.fields) <= level:
                        self.fields.append([])
                        self.runs.append(identity_matrices(k))
                    everyone = np.arange(k) if everyone is None else everyone
                    self.fields[level].append((j, everyone))
                    nf += 1
                    level += 1
                continue
            local = np.searchsorted(self.touched, op.idx)
            if m is None:  # some samples only: their field counts part from the others'
                level = None
            steps = nf[local]
            for r in sorted(set(steps.tolist())):
                sel = steps == r
                if m is not None:
                    self.runs[r][local[sel]] = m[sel] @ self.runs[r][local[sel]]
                else:
                    while len(self.fields) <= r:
                        self.fields.append([])
                        self.runs.append(identity_matrices(k))
                    self.fields[r].append((j, local[sel]))
            if m is None:
                nf[local] += 1
        self.nf = nf

    # --- fields ----------------------------------------------------------------------------
    def _field(self, j: int, local: NDArray):
        return self.ops[j].t.field(*_sub(self.ops[j].params, self.meta, self.touched[local]))

    # --- pixels ----------------------------------------------------------------------------
    def grid_start(self) -> NDArray[np.bool_]:
        """Per sample: is its last matrix run the identity (so its first field is read on the grid)?"""
        if len(self.runs) == 1 or (self.nf == self.nf[0]).all():  # (usual: every sample has the same chain)
            last = self.runs[int(self.nf[0])] if len(self.nf) else self.runs[0]
        else:
            last = np.stack(self.runs)[self.nf, np.arange(len(self.nf))]
        return _is_identity(last)

    def source_coords(self, loc: NDArray, hw: tuple[int, int], grid_start: bool, *,
                      out: tuple[NDArray, NDArray] | None = None) -> tuple[NDArray, NDArray]:
        """Source index coordinates ``(len(loc), H, W)`` for touched-local samples ``loc``.

        All samples in ``loc`` must share ``self.nf`` and :meth:`grid_start`. ``out``: two
        float32 arrays of that shape to write the coordinates into.
        """
        h, w = hw
        m = int(self.nf[loc[0]])
        if m == 0:
            return homography_source_coords(invert_matrices(self.runs[0][loc]), hw, out=out)
        k = len(loc)
        gx = np.arange(w, dtype=np.float64) + 0.5
        gy = (np.arange(h, dtype=np.float64) + 0.5)[:, None]
        if grid_start and m == 1:
            # One field read on the pixel grid (float32 maps in one pass), then at most one matrix
            # run before it, applied in float32 to the samples that have one
            parts = [(j, rows) for j, members in self.fields[0]
                     if (rows := member_mask(loc, members).nonzero()[0]).size]
            if len(parts) == 1:  # one warp for the whole chunk (usual): written straight into out
                x, y = self._field(parts[0][0], loc).source_on_grid(h, w, out=out)
            else:
                x, y = out if out is not None else (np.empty((k, h, w), np.float32),
                                                    np.empty((k, h, w), np.float32))
                for j, rows in parts:
                    x[rows], y[rows] = self._field(j, loc[rows]).source_on_grid(h, w)
            mats = self.runs[0][loc]
            moved = (~_is_identity(mats)).nonzero()[0]
            if moved.size == k:
                return _inverse_on_maps(mats, x, y)
            if moved.size:
                x[moved], y[moved] = _inverse_on_maps(mats[moved], x[moved], y[moved])
            return x, y
        # Any other chain, pixel by pixel in float64, a block of image rows at a time: the
        # temporaries of a block stay in cache (batch-sized ones were page-faulted in afresh by
        # every call); the arithmetic of each pixel is the same whatever the block.
        steps = []  # from the output back: (inverse matrices or None, [(rows, field, on-grid maps or None)])
        for r in range(m, -1, -1):
            mats = self.runs[r][loc]
            inv = None if _is_identity(mats).all() else invert_matrices(mats)[:, None, None]
            fields = []
            if r > 0:
                for j, members in self.fields[r - 1]:
                    rows = member_mask(loc, members).nonzero()[0]
                    if rows.size:
                        f = self._field(j, loc[rows])
                        fields.append((rows, f, f.source_on_grid(h, w) if r == m and grid_start else None))
            steps.append((inv, fields))
        x_out, y_out = out if out is not None else (np.empty((k, h, w), np.float32), np.empty((k, h, w), np.float32))
        block = max(1, FIELD_CHUNK_POINTS // (k * w))
        for r0 in range(0, h, block):
            r1 = min(h, r0 + block)
            x = np.broadcast_to(gx, (k, r1 - r0, w)).copy()
            y = np.broadcast_to(gy[r0:r1], (k, r1 - r0, w)).copy()
            for inv, fields in steps:
                if inv is not None:  # (identity leaves coordinates exactly as they are)
                    wv = inv[..., 2, 0] * x + inv[..., 2, 1] * y + inv[..., 2, 2]
                    iw = 1.0 / np.where(np.abs(wv) > 1e-12, wv, np.nan)
                    x, y = ((inv[..., 0, 0] * x + inv[..., 0, 1] * y + inv[..., 0, 2]) * iw,
                            (inv[..., 1, 0] * x + inv[..., 1, 1] * y + inv[..., 1, 2]) * iw)
                for rows, f, on_grid in fields:
                    if on_grid is not None:
                        x[rows] = on_grid[0][:, r0:r1] + 0.5
                        y[rows] = on_grid[1][:, r0:r1] + 0.5
                    else:
                        x[rows], y[rows] = f.source(x[rows], y[rows], np.arange(rows.size).reshape(-1, 1, 1))
            x_out[:, r0:r1] = x - 0.5  # (float64 -> float32, rounded as astype rounds)
            y_out[:, r0:r1] = y - 0.5
        return x_out, y_out

    def permutation_flags(self, loc: NDArray) -> tuple[NDArray, NDArray, NDArray, NDArray]:
        """For samples ``loc``: (an exact grid permutation?, transpose, flip x, flip y), decided
        from each own matrix (see :mod:`augkit.kernels.permute`).

        Only plans holding a permuting transform are checked; any other matrix chain is
        resampled, which gives the same pixels for a matrix that happens to be a permutation.
        """
        if not any(op.t.permutes for op in self.ops):
            none = np.zeros(len(loc), dtype=bool)
            return none, none, none, none
        m = self.runs[0][loc]
        h, w = self.meta.height, self.meta.width
        # (x', y') from (x, y) where not transposed, from (y, x) where transposed (square only)
        tr = (m[:, 0, 0] == 0) & (m[:, 1, 1] == 0) & (h == w)
        sx = np.where(tr, m[:, 0, 1], m[:, 0, 0])  # the coefficient of the source axis of x'
        sy = np.where(tr, m[:, 1, 0], m[:, 1, 1])
        cross = np.abs(np.where(tr[:, None], m[:, [0, 1], [0, 1]], m[:, [0, 1], [1, 0]])).max(axis=1)
        fx, fy = sx == -1, sy == -1
        ok_x = np.where(fx, m[:, 0, 2] == w, (sx == 1) & (m[:, 0, 2] == 0))
        ok_y = np.where(fy, m[:, 1, 2] == h, (sy == 1) & (m[:, 1, 2] == 0))
        flat = (m[:, 2, 0] == 0) & (m[:, 2, 1] == 0) & (m[:, 2, 2] == 1)
        pure = (cross == 0) & flat & ok_x & ok_y & (self.nf[loc] == 0)
        return pure, tr & pure, fx, fy

    # --- points ----------------------------------------------------------------------------
    def forward(self, pts: NDArray, local: NDArray, *, outline: bool = False,
                polygons: NDArray | None = None) -> NDArray:
        """Push points (continuous coordinates) of touched-local samples ``local`` through.

        ``outline``: the points outline boxes (a field's unseen points go to the edge of what it
        shows, not far outside as keypoints do); ``polygons``: which outline each point is on
        (consecutive, in order around it), for a lens fold to follow (see
        :meth:`~augkit.kernels.fields.RadialField.forward`)."""
        unseen = "edge" if outline else "outside"
        pts = self._through(pts, 0, local)
        for r in range(1, len(self.runs)):
            for j, members in self.fields[r - 1]:
                rows = member_mask(local, members).nonzero()[0]
                if rows.size == 0:
                    continue
                owners, which = np.unique(local[rows], return_inverse=True)
                key = (j, owners.tobytes())
                field = self._point_fields.get(key)
                if field is None:
                    field = self._point_fields[key] = self._field(j, owners)
                fx, fy = field.forward(pts[rows, 0], pts[rows, 1], which, unseen=unseen,
                                       polygons=None if polygons is None else polygons[rows])
                pts[rows, 0], pts[rows, 1] = fx, fy
            pts = self._through(pts, r, local)
        return pts

    def _through(self, pts: NDArray, run: int, local: NDArray) -> NDArray:
        """Points through run ``run``'s matrices (a copy; skipped when every matrix of the
        touched samples is the identity, as around a lone field warp)."""
        if self._identity_runs.get(run) is None:
            self._identity_runs[run] = bool(_is_identity(self.runs[run]).all())
        return pts.copy() if self._identity_runs[run] else map_points(pts, self.runs[run][local])


_EYE_FLAT = np.eye(3).ravel()


def _is_identity(mats: NDArray) -> NDArray[np.bool_]:
    """Per matrix of ``(k, 3, 3)``: is it exactly the identity?"""
    return (mats.reshape(-1, 9) == _EYE_FLAT).all(axis=1)




def _inverse_on_maps(mats: NDArray, x: NDArray, y: NDArray) -> tuple[NDArray, NDArray]:
    """Source index coordinates of maps ``(x, y)`` (float32 ``(k, H, W)``, index coordinates)
    pushed through the inverses of ``mats``, in float32 with reused work arrays (which the
    result may be: use it before the next call)."""
    inv = _TO_INDEX @ invert_matrices(mats) @ _TO_CONTINUOUS
    c = inv.astype(np.float32)[:, :, :, None, None]
    shape = x.shape
    tx, ty = work_array("plan.inverse_x", shape, np.float32), work_array("plan.inverse_y", shape, np.float32)
    tmp = work_array("plan.inverse_tmp", shape, np.float32)
    for row, dst in ((0, tx), (1, ty)):
        np.multiply(x, c[:, row, 0], out=dst)
        np.add(dst, np.multiply(y, c[:, row, 1], out=tmp), out=dst)
        np.add(dst, c[:, row, 2], out=dst)
    if np.all(inv[:, 2, :2] == 0) and np.all(inv[:, 2, 2] == 1):
        return tx, ty
    wv = np.multiply(x, c[:, 2, 0], out=tmp)
    wv += np.multiply(y, c[:, 2, 1], out=work_array("plan.inverse_tmp2", shape, np.float32))
    wv += c[:, 2, 2]
    wv[np.abs(wv) <= np.float32(1e-12)] = np.nan
    tx /= wv
    ty /= wv
    return tx, ty
