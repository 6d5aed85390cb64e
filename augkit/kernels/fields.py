"""Displacement-field kernels for non-linear warps (grid warp, elastic warp).

A warp is stored as an *inverse* displacement field sampled on a regular node grid: the
output pixel at continuous coordinate ``q`` reads the source at ``q + d(q)``, where ``d`` is
bilinearly interpolated between nodes. Forward mapping of points (for keypoints and boxes)
inverts that map by fixed-point iteration, which converges because augkit keeps every
field's slope below one (no fold-overs).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
from numpy.typing import NDArray

from .backend import opencv
from .scratch import work_array
from .streams import per_sample_generators

__all__ = ["DisplacementField", "RadialField", "TriangleField", "elastic_displacements", "elastic_noise",
           "grid_node_displacements"]


@dataclass(frozen=True)
class DisplacementField:
    """Per-sample inverse displacement fields on a regular node grid.

    Parameters
    ----------
    nodes : ndarray of shape (n, gh, gw, 2)
        Displacement ``(dx, dy)`` in pixels at each node.
    origin : (float, float)
        Continuous ``(x, y)`` of node ``(0, 0)``.
    spacing : (float, float)
        Distance in pixels between nodes along ``x`` and ``y``.

    Examples
    --------
    >>> f = DisplacementField(np.ones((1, 2, 2, 2)), (0.0, 0.0), (4.0, 4.0))
    >>> f.source(np.array([1.0]), np.array([1.0]), np.array([0]))
    (array([2.]), array([2.]))
    """

    nodes: NDArray
    origin: tuple[float, float]
    spacing: tuple[float, float]

    def _corners(self, x: NDArray, y: NDArray, sample: NDArray) -> tuple[tuple[NDArray, ...], NDArray, NDArray]:
        """For points ``(x, y)``: the node displacements at the four corners of the grid cell
        holding each, per component (``((dx00, dx10, dx01, dx11), (dy00, ...))``, x first) and
        the position inside the cell (``fu, fv`` in [0, 1]). A non-finite point gives NaN.

        Each component is gathered from its own contiguous copy of the nodes with one index
        array per corner (gathering ``(.., 2)`` rows by fancy indexing was most of a field's
        evaluation at arbitrary points: 145 ns a pixel)."""
        gh, gw = self.nodes.shape[1:3]
        u = np.clip((np.asarray(x, np.float64) - self.origin[0]) / self.spacing[0], 0.0, gw - 1)
        v = np.clip((np.asarray(y, np.float64) - self.origin[1]) / self.spacing[1], 0.0, gh - 1)
        u0 = np.minimum(np.floor(u).astype(np.intp), max(gw - 2, 0))
        v0 = np.minimum(np.floor(v).astype(np.intp), max(gh - 2, 0))
        step_u, step_v = (1 if gw > 1 else 0), (gw if gh > 1 else 0)  # u1 - u0 and (v1 - v0) * gw
        i00 = np.asarray(sample, dtype=np.intp) * (gh * gw) + v0 * gw + u0
        corners = (i00, i00 + step_u, i00 + step_v, i00 + (step_u + step_v))
        # (mode="clip": a NaN point's garbage index reads some node; its weights are NaN)
        cx, cy = (tuple(flat.take(i, mode="clip") for i in corners) for flat in self._flat_nodes)
        return (cx, cy), u - u0, v - v0

    @cached_property
    def _flat_nodes(self) -> tuple[NDArray, NDArray]:
        """The x and y displacements of all nodes, each contiguous and flat (made once)."""
        return tuple(np.ascontiguousarray(self.nodes[..., c]).reshape(-1) for c in (0, 1))

    def displacement(self, x: NDArray, y: NDArray, sample: NDArray) -> tuple[NDArray, NDArray]:
        """Interpolated ``(dx, dy)`` at points ``(x, y)`` of samples ``sample`` (same shapes)."""
        return _in_chunks(self._blend, x, y, sample)

    def _blend(self, x: NDArray, y: NDArray, sample: NDArray) -> tuple[NDArray, NDArray]:
        (cx, cy), fu, fv = self._corners(x, y, sample)
        return self._interpolate(cx, fu, fv), self._interpolate(cy, fu, fv)

    def _interpolate(self, d: tuple[NDArray, ...], fu: NDArray, fv: NDArray) -> NDArray:
        """One displacement component from its four cell corners ``(d00, d10, d01, d11)``."""
        d00, d10, d01, d11 = d
        return (1 - fu) * (1 - fv) * d00 + fu * (1 - fv) * d10 + (1 - fu) * fv * d01 + fu * fv * d11

    def _value_and_slopes(self, d: tuple[NDArray, ...], fu: NDArray, fv: NDArray) -> tuple[NDArray, ...]:
        """One component (see :meth:`_interpolate`) and its derivatives along the cell's ``u``
        and ``v``: ``d00 + a fu + b fv + c fu fv``, ``a + c fv``, ``b + c fu``."""
        d00, d10, d01, d11 = d
        a, b = d10 - d00, d01 - d00
        c = d11 - d10
        c -= b
        du = c * fv
        du += a
        dv = c * fu
        dv += b
        value = dv * fv
        value += a * fu
        value += d00
        return value, du, dv

    def _blend_jacobian(self, x: NDArray, y: NDArray, sample: NDArray) -> tuple[NDArray, ...]:
        """``(dx, dy)`` and their derivatives ``(ddx/dx, ddx/dy, ddy/dx, ddy/dy)`` at the points,
        from the same four nodes (0 across the clamped margin beyond the outer nodes)."""
        (cx, cy), fu, fv = self._corners(x, y, sample)
        gh, gw = self.nodes.shape[1:3]
        (ox, oy), (sx, sy) = self.origin, self.spacing
        u, v = (np.asarray(x, np.float64) - ox) / sx, (np.asarray(y, np.float64) - oy) / sy
        ku = np.where((u > 0) & (u < gw - 1), 1.0 / sx, 0.0)
        kv = np.where((v > 0) & (v < gh - 1), 1.0 / sy, 0.0)
        (dx, xu, xv), (dy, yu, yv) = self._value_and_slopes(cx, fu, fv), self._value_and_slopes(cy, fu, fv)
        xu *= ku
        xv *= kv
        yu *= ku
        yv *= kv
        return dx, dy, xu, xv, yu, yv

    def source_on_grid(self, height: int, width: int, *,
                       out: tuple[NDArray, NDArray] | None = None) -> tuple[NDArray, NDArray]:
        """Source *index* coordinates of every output pixel, float32 ``(n, height, width)`` each.

        Equal (up to float32 rounding) to :meth:`source` at the pixel centres minus 0.5.
        Interpolation is separable and node positions are linear in the node index, so a
        regular node grid takes two matrix products per axis for the whole batch (node
        positions folded in); per-pixel nodes take one addition. ``out``: two float32
        ``(n, height, width)`` arrays to write the coordinates into.
        """
        gh, gw = self.nodes.shape[1:3]
        (ox, oy), (sx, sy) = self.origin, self.spacing
        ox_, oy_ = (None, None) if out is None else out
        if (gh, gw) == (height, width) and (ox, oy) == (0.5, 0.5) and (sx, sy) == (1.0, 1.0):
            gx = np.arange(width, dtype=np.float32)
            gy = np.arange(height, dtype=np.float32)[:, None]
            return np.add(self.nodes[..., 0], gx, out=ox_), np.add(self.nodes[..., 1], gy, out=oy_)
        _, wxt, at_x = _pixel_weights(width, float(ox), float(sx), gw)
        wy, _, at_y = _pixel_weights(height, float(oy), float(sy), gh)
        node_x = (self.nodes[..., 0] + at_x).astype(np.float32)
        node_y = (self.nodes[..., 1] + at_y[:, None]).astype(np.float32)
        # (H, gh) @ (n, gh, gw) @ (gw, W): the small product first, then one pass writing (n, H, W);
        # one product per sample (a sample's map must not depend on the batch around it)
        return np.matmul(wy @ node_x, wxt, out=ox_), np.matmul(wy @ node_y, wxt, out=oy_)

    def source(self, x: NDArray, y: NDArray, sample: NDArray) -> tuple[NDArray, NDArray]:
        """Source coordinates read by output points ``(x, y)`` (continuous coordinates)."""
        dx, dy = self.displacement(x, y, sample)
        return x + dx, y + dy

    def forward(
        self, x: NDArray, y: NDArray, sample: NDArray, *, iterations: int = 50, tol: float = 1e-5,
        unseen: str = "outside", polygons: NDArray | None = None,
    ) -> tuple[NDArray, NDArray]:
        """Where source points ``(x, y)`` land: solve ``source(p) == (x, y)`` for ``p``.

        Newton's method with the Jacobian of ``source`` from the interpolating cell's nodes (it
        converges in a few steps even for strong warps, where the plain fixed-point iteration
        crawls), one evaluation of the field per step. A Newton step is kept only where it
        lowered the residual; elsewhere (folds, the clamped canvas edge) the fixed-point step
        replaces it. ``unseen`` and ``polygons`` are :class:`RadialField`'s options (a
        displacement field has no closed-form edge of what it shows: the iteration's end point
        is kept).
        """
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        sample = np.asarray(sample)
        px, py = x.copy(), y.copy()
        # the point before the last step, its residual and that residual's size (inf: accept the next)
        bx, by, bex, bey = x.copy(), y.copy(), np.zeros_like(x), np.zeros_like(x)
        last = np.full(x.shape, np.inf)
        todo = np.arange(px.size)  # each point iterates until it has converged on its own
        for _ in range(iterations):
            if todo.size == 0:
                break
            tx, ty, ts = px[todo], py[todo], sample[todo]
            dx, dy, xx, xy, yx, yy = _in_chunks(self._blend_jacobian, tx, ty, ts, outputs=6)
            ex, ey = tx + dx - x[todo], ty + dy - y[todo]
            err = ex * ex + ey * ey
            # a Newton step that did not lower the residual (near the canvas edge the field is
            # clamped and its Jacobian misleads; folds) is replaced by the fixed-point step from
            # the point before it, accepted as it comes
            worse = err >= last[todo]
            converged = (np.abs(ex) < tol) & (np.abs(ey) < tol) & ~worse
            j11, j12, j21, j22 = 1.0 + xx, xy, yx, 1.0 + yy  # d source / d (x, y), from the cell's nodes
            det = j11 * j22 - j12 * j21
            ok = np.abs(det) > 1e-6
            safe = np.where(ok, det, 1.0)
            nx = np.where(worse, bx[todo] - bex[todo], tx - np.where(ok, (j22 * ex - j12 * ey) / safe, ex))
            ny = np.where(worse, by[todo] - bey[todo], ty - np.where(ok, (-j21 * ex + j11 * ey) / safe, ey))
            bx[todo], by[todo], bex[todo], bey[todo] = tx, ty, ex, ey
            last[todo] = np.where(worse | ~ok, np.inf, err)
            px[todo] = np.where(converged, tx, nx)
            py[todo] = np.where(converged, ty, ny)
            todo = todo[~converged]
        return px, py


@dataclass(frozen=True)
class TriangleField(DisplacementField):
    """A :class:`DisplacementField` interpolated linearly over triangles instead of bilinearly.

    Each grid cell is split along its ``(0, 0)``-``(1, 1)`` diagonal; inside a triangle the
    displacement is the barycentric blend of its three nodes, so the map is affine on every
    triangle (a piecewise-affine warp, continuous across the edges).

    Examples
    --------
    >>> nodes = np.zeros((1, 2, 2, 2)); nodes[0, 1, 1] = (4.0, 0.0)     # only the far corner moves
    >>> f = TriangleField(nodes, (0.0, 0.0), (8.0, 8.0))
    >>> f.displacement(np.array([6.0, 2.0]), np.array([2.0, 6.0]), np.array([0, 0]))[0].tolist()
    [1.0, 1.0]
    """

    def _interpolate(self, d: tuple[NDArray, ...], fu: NDArray, fv: NDArray) -> NDArray:
        """Barycentric blend of the triangle holding ``(fu, fv)``: below the diagonal (``fu >= fv``)
        corners 00, 10, 11, above it 00, 01, 11."""
        d00, d10, d01, d11 = d
        return np.where(fu >= fv, d00 + fu * (d10 - d00) + fv * (d11 - d10), d00 + fv * (d01 - d00) + fu * (d11 - d01))

    def _value_and_slopes(self, d: tuple[NDArray, ...], fu: NDArray, fv: NDArray) -> tuple[NDArray, ...]:
        d00, d10, d01, d11 = d
        lower = fu >= fv
        du, dv = np.where(lower, d10 - d00, d11 - d01), np.where(lower, d11 - d10, d01 - d00)
        return d00 + fu * du + fv * dv, du, dv

    def source_on_grid(self, height: int, width: int, *,
                       out: tuple[NDArray, NDArray] | None = None) -> tuple[NDArray, NDArray]:
        n = self.nodes.shape[0]
        gx = np.broadcast_to(np.arange(width, dtype=np.float64) + 0.5, (n, height, width))
        gy = np.broadcast_to((np.arange(height, dtype=np.float64) + 0.5)[:, None], (n, height, width))
        dx, dy = self.displacement(gx, gy, np.arange(n)[:, None, None])
        x, y = (gx + dx - 0.5).astype(np.float32), (gy + dy - 0.5).astype(np.float32)
        if out is not None:
            out[0][...], out[1][...] = x, y
            return out
        return x, y


#: Points a field is read at in one go at arbitrary positions (keypoints, or maps of a chain
#: with a matrix after the field): the temporaries of a chunk stay small and in cache (batch-
#: sized float64 ones were page-faulted in afresh by every call: 13 ms per 256x256 map).
FIELD_CHUNK_POINTS = 1 << 13


def _in_chunks(blend, x: NDArray, y: NDArray, sample: NDArray, outputs: int = 2) -> tuple[NDArray, ...]:
    """``blend(x, y, sample)`` (a field's ``(dx, dy)``, or ``outputs`` arrays) over chunks of the
    broadcast points."""
    x, y, sample = np.broadcast_arrays(x, y, sample)
    if x.size <= FIELD_CHUNK_POINTS:
        return blend(x, y, sample)
    xs, ys, ss = x.reshape(-1), y.reshape(-1), sample.reshape(-1)
    out = np.empty((outputs, x.size))
    for a in range(0, x.size, FIELD_CHUNK_POINTS):
        b = a + FIELD_CHUNK_POINTS
        out[:, a:b] = blend(xs[a:b], ys[a:b], ss[a:b])
    return tuple(o.reshape(x.shape) for o in out)


@lru_cache(maxsize=256)
def _pixel_weights(pixels: int, origin: float, spacing: float, nodes: int) -> tuple[NDArray, NDArray, NDArray]:
    """For a regular node grid along one axis (cached; read-only): the float32 weights of the
    nodes at each pixel centre, ``(pixels, nodes)`` and its transpose, both contiguous, and
    the nodes' positions in index coordinates (the pixel centre ``i + 0.5`` is index ``i``)."""
    w = _linear_weights((np.arange(pixels) + 0.5 - origin) / spacing, nodes).astype(np.float32)
    wt = np.ascontiguousarray(w.T)
    at = origin + spacing * np.arange(nodes) - 0.5
    for a in (w, wt, at):
        a.flags.writeable = False
    return w, wt, at


def _linear_weights(u: NDArray, size: int) -> NDArray[np.float64]:
    """Rows of 1-D linear interpolation weights over ``size`` nodes at node coordinates ``u``."""
    u = np.clip(u, 0.0, size - 1)
    i0 = np.minimum(np.floor(u).astype(np.intp), max(size - 2, 0))
    frac = u - i0
    w = np.zeros((len(u), size))
    rows = np.arange(len(u))
    w[rows, i0] = 1.0 - frac
    w[rows, np.minimum(i0 + 1, size - 1)] += frac
    return w


def grid_node_displacements(
    offsets: NDArray, height: int, width: int
) -> DisplacementField:
    """Field for a grid warp: ``offsets`` in cell units at each grid node.

    The outer nodes sit on the centres of the outermost pixels (not on the canvas edge), so
    that edge nodes which do not move across the edge keep those pixels exactly on it: every
    pixel then reads from inside the image, and no border fill bleeds into the outer pixels.
    Beyond the outer nodes the field is that of the nearest edge (constant).

    Parameters
    ----------
    offsets : ndarray of shape (n, steps + 1, steps + 1, 2)
        Node displacements as fractions of the cell size.
    height, width : int
        Canvas size; the grid spans the centres of its pixels.

    Examples
    --------
    >>> f = grid_node_displacements(np.zeros((1, 3, 3, 2)), 9, 9)
    >>> f.origin, f.spacing
    ((0.5, 0.5), (4.0, 4.0))
    """
    gh, gw = offsets.shape[1] - 1, offsets.shape[2] - 1
    spacing = (max(width - 1, 1) / gw, max(height - 1, 1) / gh)
    nodes = np.asarray(offsets, dtype=np.float32) * np.array(spacing, np.float32)
    return DisplacementField(nodes, (0.5, 0.5), spacing)


#: Below this factor ``1 + k r**2`` (``k < -1/3`` only) the radial polynomial has turned back: the
#: output points beyond the fold read far outside the image instead (``c + 4 (p - c)``, at least
#: 2.3 half-diagonals out), so the lens shows nothing there, as barrel distortion's corners.
RADIAL_FOLD_FACTOR = 2.0 / 3.0
#: The factor given to output points beyond the fold.
RADIAL_UNSEEN_FACTOR = 4.0


class RadialField:
    """Inverse field of a radial lens distortion, evaluated exactly (no node grid).

    Output point ``p`` reads ``c + (p - c) * (1 + k r**2)``, ``c`` the image centre and ``r`` the
    distance from it over half the diagonal (1 at the corners): ``k > 0`` is barrel distortion,
    ``k < 0`` pincushion. Where ``k < -1/3`` folds the polynomial back inside the canvas
    (``1 + 3 k r**2 < 0``, i.e. the factor below 2/3), output points read far outside the image
    (they are filled) instead of a mirrored copy of the periphery. Same interface as
    :class:`DisplacementField`.

    Examples
    --------
    >>> f = RadialField(np.array([0.5]), 20, 20)
    >>> f.source(np.array([0.0]), np.array([0.0]), np.array([0]))      # a corner reads further out
    (array([-5.]), array([-5.]))
    >>> [round(float(v[0]), 6) for v in f.forward(np.array([-5.0]), np.array([-5.0]), np.array([0]))]
    [0.0, 0.0]
    """

    def __init__(self, ks: NDArray, height: int, width: int) -> None:
        self.ks = np.asarray(ks, dtype=np.float64)
        self.height, self.width = height, width
        self.cx, self.cy = width / 2.0, height / 2.0
        self.inv_d2 = 1.0 / (self.cx**2 + self.cy**2)

    def displacement(self, x: NDArray, y: NDArray, sample: NDArray) -> tuple[NDArray, NDArray]:
        """``(dx, dy)`` read at points ``(x, y)`` of samples ``sample`` (continuous coordinates)."""
        dx, dy = np.asarray(x, np.float64) - self.cx, np.asarray(y, np.float64) - self.cy
        gain = self.ks[np.asarray(sample, np.intp)] * (dx * dx + dy * dy) * self.inv_d2
        if (self.ks < -1.0 / 3.0).any():  # beyond the fold: far outside
            gain = np.where(gain < RADIAL_FOLD_FACTOR - 1.0, RADIAL_UNSEEN_FACTOR - 1.0, gain)
        return dx * gain, dy * gain

    def source(self, x: NDArray, y: NDArray, sample: NDArray) -> tuple[NDArray, NDArray]:
        """Source coordinates read by output points ``(x, y)`` (continuous coordinates)."""
        dx, dy = self.displacement(x, y, sample)
        return x + dx, y + dy

    def source_on_grid(self, height: int, width: int, *,
                       out: tuple[NDArray, NDArray] | None = None) -> tuple[NDArray, NDArray]:
        """Source *index* coordinates of every output pixel, float32 ``(n, height, width)`` each
        (written into ``out`` when given).

        The per-pixel offsets and squared radii are whole cached planes, so that every pass runs
        along a full image instead of broadcasting rows and columns (1.5x faster at 32x32, 4x at
        64x64, 6x at 256x256); the float32 operations are the same, element by element.
        """
        dx, dy, r2 = _radial_planes(height, width, self.cx, self.cy)
        n = len(self.ks)
        scale = (self.ks.astype(np.float32) * np.float32(self.inv_d2))[:, None] * r2
        scale += 1
        if (self.ks < -1.0 / 3.0).any():  # beyond the fold: far outside
            scale[scale < np.float32(RADIAL_FOLD_FACTOR)] = np.float32(RADIAL_UNSEEN_FACTOR)
        x, y = (np.empty((n, height, width), np.float32), np.empty((n, height, width), np.float32)) if out is None \
            else out
        for plane, d, centre in ((x, dx, self.cx), (y, dy, self.cy)):
            flat = plane.reshape(n, -1) if plane.flags.c_contiguous else np.empty((n, height * width), np.float32)
            np.add(np.multiply(d, scale, out=flat), np.float32(centre - 0.5), out=flat)
            if not plane.flags.c_contiguous:
                plane[...] = flat.reshape(plane.shape)
        return x, y

    def forward(self, x: NDArray, y: NDArray, sample: NDArray, *, iterations: int = 30,
                unseen: str = "outside", polygons: NDArray | None = None) -> tuple[NDArray, NDArray]:
        """Where source points ``(x, y)`` land: along each ray, Newton on ``rho (1 + k rho**2 / D**2) = s``.

        With ``k < 0`` the map folds at ``rho = D / sqrt(-3 k)`` (inside the canvas when
        ``k < -1/3``, beyond which the output is filled); source points beyond what it reaches
        there are shown nowhere. ``unseen="outside"`` (keypoints) places them on their ray at
        twice the half-diagonal, outside the canvas, so that they are flagged as outside;
        ``unseen="edge"`` (box outlines) places them on the fold, the edge of what the lens
        shows, so that a box ends where its object's image is cut off. With ``polygons`` (an id
        per point; each outline's points consecutive, in order around it), each run of unseen
        points is spread along the part of the fold its outline encloses, from where the
        outline leaves the reach to where it comes back (on their own rays, a far box's unseen
        corners spanned its whole angle, though only the part near the reach shows); an outline
        wholly beyond the reach that does not enclose the centre shows nothing: its points all
        go to one point of the fold (a box of no area, which is dropped).
        """
        dx, dy = np.asarray(x, np.float64) - self.cx, np.asarray(y, np.float64) - self.cy
        s = np.hypot(dx, dy)
        a = self.ks[np.asarray(sample, np.intp)] * self.inv_d2
        rho_max = np.where(a < 0, 1.0 / np.sqrt(np.maximum(-3.0 * a, 1e-300)), np.inf)
        reach = np.where(a < 0, rho_max * (1 + a * rho_max**2), np.inf)
        rho = np.minimum(s, rho_max)
        # each point stops once its own step is below 1e-9 (stopping when all had converged let
        # the other points of a batch move a point on: 1e-14 px, but not what it gets alone)
        flat_rho, flat_s = rho.reshape(-1), np.broadcast_to(s, rho.shape).reshape(-1)
        flat_a, flat_max = np.broadcast_to(a, rho.shape).reshape(-1), np.broadcast_to(rho_max, rho.shape).reshape(-1)
        todo = np.arange(flat_rho.size)
        for _ in range(iterations):
            if todo.size == 0:
                break
            r, k = flat_rho[todo], flat_a[todo]
            step = (r + k * r**3 - flat_s[todo]) / np.maximum(1 + 3 * k * r * r, 1e-9)
            flat_rho[todo] = np.clip(r - step, 0.0, flat_max[todo])
            todo = todo[np.abs(step) >= 1e-9]
        rho = flat_rho.reshape(rho.shape)
        ratio = np.divide(rho, s, out=np.ones_like(s), where=s > 0)
        if unseen == "outside":  # (else beyond the reach rho has stopped at the fold, rho_max)
            ratio = np.where(s <= reach, ratio, 2.0 / np.sqrt(self.inv_d2) / np.maximum(s, 1e-12))
        out_x, out_y = self.cx + dx * ratio, self.cy + dy * ratio
        if unseen == "edge" and polygons is not None and (s > reach).any():
            _outlines_along_the_fold(out_x, out_y, dx, dy, s > reach, np.broadcast_to(reach, s.shape),
                                     np.broadcast_to(rho_max, s.shape), np.asarray(polygons), (self.cx, self.cy))
        return out_x, out_y


def _outlines_along_the_fold(out_x: NDArray, out_y: NDArray, dx: NDArray, dy: NDArray, unseen: NDArray,
                             reach: NDArray, rho_max: NDArray, polygons: NDArray, centre: tuple[float, float]) -> None:
    """In place, for :meth:`RadialField.forward`: each run of ``unseen`` points of an outline
    (source offsets ``dx, dy`` from the centre) spread evenly along the fold, between the
    images of where the outline crosses the reach circle, the way round that the outline
    encloses. Outlines are rare to cross a fold, so this loops over the ones that do."""
    ids = polygons.reshape(-1)
    flat = [a.reshape(-1) for a in (out_x, out_y, dx, dy, unseen, reach, rho_max)]
    ox, oy, px, py, beyond, reach_f, fold_f = flat
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    ends = np.r_[starts[1:], ids.size]
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        hidden = beyond[a:b]
        if not hidden.any():
            continue
        x, y, r, f = px[a:b], py[a:b], float(reach_f[a]), float(fold_f[a])
        if hidden.all():  # nothing of the outline within reach: the whole fold if it encloses the centre,
            if not _encloses(x, y, 0.0, 0.0):  # else nothing shows: one point of the fold, a box of no area
                angle = np.arctan2(y.mean(), x.mean())
                ox[a:b], oy[a:b] = centre[0] + f * np.cos(angle), centre[1] + f * np.sin(angle)
            continue
        n = b - a
        first = int(np.flatnonzero(~hidden)[0])
        order = (np.arange(n) + first) % n  # start on a seen point: runs do not wrap
        seen = ~hidden[order]
        i = 0
        while i < n:
            if seen[i]:
                i += 1
                continue
            j = i
            while j < n and not seen[j]:
                j += 1
            run = order[i:j]  # unseen; order[i - 1] and order[j % n] are seen
            before, after = order[i - 1], order[j % n]
            ta = _crossing(x[before], y[before], x[run[0]], y[run[0]], r)
            tb = _crossing(x[run[-1]], y[run[-1]], x[after], y[after], r)
            angle_a, angle_b = np.arctan2(ta[1], ta[0]), np.arctan2(tb[1], tb[0])
            turn = (angle_b - angle_a + np.pi) % (2 * np.pi) - np.pi  # the short way round
            middle = angle_a + turn / 2
            if not _encloses(x, y, 0.999 * r * np.cos(middle), 0.999 * r * np.sin(middle)):
                turn -= np.copysign(2 * np.pi, turn)  # the outline holds the long way round
            angles = angle_a + turn * (np.linspace(0.0, 1.0, len(run)) if len(run) > 1 else np.array([0.5]))
            ox[a + run], oy[a + run] = centre[0] + f * np.cos(angles), centre[1] + f * np.sin(angles)
            i = j


def _crossing(x0: float, y0: float, x1: float, y1: float, radius: float) -> tuple[float, float]:
    """Where the segment from a point within ``radius`` of the origin to one beyond it (either
    order) crosses that circle."""
    ex, ey = x1 - x0, y1 - y0
    qa, qb, qc = ex * ex + ey * ey, 2 * (x0 * ex + y0 * ey), x0 * x0 + y0 * y0 - radius * radius
    root = np.sqrt(max(qb * qb - 4 * qa * qc, 0.0))
    ts = [t for t in ((-qb - root) / (2 * qa), (-qb + root) / (2 * qa)) if 0.0 <= t <= 1.0] if qa > 0 else []
    t = ts[0] if ts else 0.5
    return x0 + t * ex, y0 + t * ey


def _encloses(x: NDArray, y: NDArray, px: float, py: float) -> bool:
    """Is ``(px, py)`` inside the closed polygon ``(x, y)`` (even-odd rule)?"""
    xn, yn = np.roll(x, -1), np.roll(y, -1)
    straddle = (y > py) != (yn > py)
    with np.errstate(divide="ignore", invalid="ignore"):
        crossing = x + (py - y) * (xn - x) / (yn - y)
    return bool(np.count_nonzero(straddle & (px < crossing)) % 2)


@lru_cache(maxsize=8)
def _radial_planes(height: int, width: int, cx: float, cy: float) -> tuple[NDArray, NDArray, NDArray]:
    """Flattened float32 planes of ``x - cx``, ``y - cy`` at pixel centres and their squared
    radius ``dx * dx + dy * dy`` (cached, read-only; 12 bytes a pixel, hence few sizes)."""
    dx = np.broadcast_to((np.arange(width, dtype=np.float32) + np.float32(0.5 - cx))[None, :], (height, width))
    dy = np.broadcast_to((np.arange(height, dtype=np.float32) + np.float32(0.5 - cy))[:, None], (height, width))
    planes = (dx.reshape(-1), dy.reshape(-1), (dx * dx + dy * dy).reshape(-1))
    for p in planes:
        p.setflags(write=False)
    return planes


@lru_cache(maxsize=64)
def _smoothing_matrix(size: int, sigma: float, radius: int) -> NDArray[np.float32]:
    """``(size, size)`` matrix of a normalized Gaussian of ``sigma`` truncated at ``radius``,
    with the signal mirrored at its ends including the edge sample (OpenCV's ``BORDER_REFLECT``,
    SciPy's ``"reflect"``): ``K @ x`` smooths ``x``. Cached (read-only): every chunk of a batch
    needs the same two."""
    offsets = np.arange(-radius, radius + 1)
    weights = np.exp(-(offsets * offsets) / (2.0 * sigma * sigma))
    weights /= weights.sum()
    src = np.arange(size)[:, None] + offsets[None, :]  # (size, taps) positions read, then mirrored
    src = np.mod(src, 2 * size)
    src = np.where(src >= size, 2 * size - 1 - src, src)
    k = np.zeros((size, size))
    np.add.at(k, (np.repeat(np.arange(size), len(offsets)), src.ravel()), np.tile(weights, size))
    k = k.astype(np.float32)
    k.setflags(write=False)
    return k


def elastic_noise(seeds: NDArray, height: int, width: int) -> NDArray[np.float32]:
    """The uniform noise an elastic field smooths: ``(n, 2, height, width)`` float32 in (0, 1),
    one stream per seed (16-bit steps, centred: ``(k + 0.5) / 65536``; four values from each
    64-bit draw of the seed's PCG64, low quarter first).

    Raw 64-bit draws cut into quarters cost half of ``Generator.random`` (float32) here: 31 us
    against 49 us a 64x64 field, 340 against 647 us at 256x256 (a third of the warp); the
    Gaussian that follows makes 16-bit steps invisible.

    Examples
    --------
    >>> u = elastic_noise(np.array([7], dtype=np.uint64), 32, 32)
    >>> u.shape, bool(0.0 < u.min() and u.max() < 1.0), round(float(u.mean()), 1)
    ((1, 2, 32, 32), True, 0.5)
    """
    n, count = len(seeds), 2 * height * width
    out = np.empty((n, 2, height, width), dtype=np.float32)
    flat = out.reshape(n, count)
    scale = np.float32(1.0 / 65536.0)
    for i, gen in enumerate(per_sample_generators(seeds)):
        words = gen.bit_generator.random_raw(-(-count // 4)).astype("<u8", copy=False)  # (no copy on little-endian)
        np.multiply(words.view("<u2")[:count], scale, out=flat[i])
    flat += np.float32(0.5 / 65536.0)
    return out


def elastic_displacements(
    seeds: NDArray, height: int, width: int, *, alpha: float, sigma: float
) -> DisplacementField:
    """Per-pixel elastic field (Simard et al., 2003), one reproducible field per seed.

    Uniform noise in [-1, 1] per pixel and axis (:func:`elastic_noise`, rescaled), smoothed by
    a Gaussian of ``sigma`` pixels truncated at ``3 sigma`` (the noise mirrored at the edges, edge pixel repeated)
    and scaled by ``alpha`` pixels. Fields up to a few kernel widths across are smoothed by
    two matrix products for the whole batch, larger ones by OpenCV or SciPy per plane; all
    agree to float32 rounding.

    Examples
    --------
    >>> f = elastic_displacements(np.array([1, 2], dtype=np.uint64), 16, 16, alpha=30.0, sigma=4.0)
    >>> f.nodes.shape
    (2, 16, 16, 2)
    """
    n = len(seeds)
    planes = elastic_noise(seeds, height, width)  # x and y displacement planes
    radius = int(3.0 * sigma + 0.5)
    cv2 = opencv()
    if (height + width) <= 8 * (2 * radius + 1):
        # small fields: smoothing along each axis is one matrix product for the whole batch (BLAS
        # beats a banded filter here), with the scaling folded in: K (2u - 1) a = 2a K u - a,
        # since each row of K sums to one
        # one product per plane and axis (not one over the whole batch): BLAS may sum a large
        # product in another order, and a sample's field must not depend on the batch around it
        kx = _smoothing_matrix(width, sigma, radius) * np.float32(2.0 * alpha)
        stack = planes.reshape(n * 2, height, width)
        rows = np.matmul(stack, kx.T, out=work_array("elastic.rows", stack.shape, np.float32))  # along x
        smooth = np.matmul(_smoothing_matrix(height, sigma, radius), rows, out=stack)  # along y, in place of the noise
        smooth -= np.float32(alpha)
    else:
        planes *= np.float32(2.0)
        planes -= np.float32(1.0)
        if cv2 is not None:
            smooth = np.empty_like(planes)
            for i in range(n):
                for axis in range(2):
                    cv2.GaussianBlur(planes[i, axis], (2 * radius + 1, 2 * radius + 1), sigma, dst=smooth[i, axis],
                                     sigmaY=sigma, borderType=cv2.BORDER_REFLECT)
        else:
            from scipy import ndimage  # imported on first use: keeps `import augkit` fast

            smooth = ndimage.gaussian_filter(planes, sigma=(0, 0, sigma, sigma), mode="reflect", truncate=3.0)
        smooth *= np.float32(alpha)
    del planes
    # nodes (n, H, W, 2) as a view of the planes: per-pixel sums read each plane contiguously
    return DisplacementField(smooth.reshape(n, 2, height, width).transpose(0, 2, 3, 1), (0.5, 0.5), (1.0, 1.0))
