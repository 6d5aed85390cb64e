"""Geometric transforms against independent references (SciPy, Pillow, NumPy, analytic)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

import augkit as ak
from augkit.kernels.geometry import affine_matrices, homography_from_points
from augkit.testing.conformance import make_batch

I = ak.image
pytestmark = pytest.mark.usefixtures("each_backend")


def _scipy_warp(image: np.ndarray, forward: np.ndarray, order: int = 1) -> np.ndarray:
    """Reference: scipy.ndimage.affine_transform with the inverse map in (row, col) index space."""
    shift = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])
    unshift = np.array([[1, 0, -0.5], [0, 1, -0.5], [0, 0, 1]])
    inv = unshift @ np.linalg.inv(forward) @ shift  # dst index (x, y) -> src index (x, y)
    swap = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]])
    inv_rc = swap @ inv @ swap  # (row, col) order
    out = np.empty_like(image, dtype=np.float64)
    for c in range(image.shape[-1]):
        out[..., c] = ndimage.affine_transform(image[..., c].astype(np.float64), inv_rc, order=order,
                                               mode="grid-constant", cval=0.0)
    return out


@pytest.mark.parametrize("seed", range(5))
def test_affine_matches_scipy(seed):
    x = make_batch(n=1, height=40, width=48, dtype=np.float32, seed=seed)
    t = I.Affine(degrees_range=(-45, 45), scale_range=(0.7, 1.4), translate_range=(-0.2, 0.2),
                 shear_degrees_range=(-20, 20))
    out = t(image=x, rng=seed, return_params=True)
    prm = out["params"]["children"][0]
    m = affine_matrices(center=(24.0, 20.0), degrees=prm["degrees"], scale_x=prm["scale"], scale_y=prm["scale"],
                        shear_x_degrees=prm["shear_degrees"], translate_x=prm["translate"][:, 0] * 48,
                        translate_y=prm["translate"][:, 1] * 40)[0]
    ref = _scipy_warp(x[0], m)
    assert np.abs(out["image"][0] - ref).max() < 1e-4


def test_affine_uint8_matches_scipy_within_one_level():
    x = make_batch(n=1, height=50, width=50, seed=3)
    t = I.Rotate(degrees_range=(33, 33))
    ref = _scipy_warp(x[0], affine_matrices(center=(25.0, 25.0), degrees=[33.0])[0])
    assert np.abs(t(image=x)["image"][0].astype(float) - ref).max() <= 0.5 + 1e-6


def _interior(h: int, w: int, forward: np.ndarray, margin: float = 2.0) -> np.ndarray:
    """Output pixels whose source lies at least ``margin`` pixels inside the image."""
    ys, xs = np.mgrid[0:h, 0:w] + 0.5
    inv = np.linalg.inv(forward)
    pts = np.stack([xs.ravel(), ys.ravel(), np.ones(h * w)])
    src = inv @ pts
    sx, sy = src[0] / src[2], src[1] / src[2]
    ok = (sx > margin) & (sx < w - margin) & (sy > margin) & (sy < h - margin)
    return ok.reshape(h, w)


@pytest.mark.parametrize("angle", [-70.0, -12.5, 5.0, 90.0, 137.0])
def test_rotate_matches_pillow(angle):
    x = make_batch(n=1, height=64, width=64, seed=1)[0]
    ours = I.Rotate(degrees_range=(angle, angle))(image=x)["image"]
    ref = np.asarray(Image.fromarray(x).rotate(angle, resample=Image.BILINEAR))
    m = affine_matrices(center=(32.0, 32.0), degrees=[angle])[0]
    inside = _interior(64, 64, m)
    diff = np.abs(ours.astype(int) - ref.astype(int))[inside]
    assert diff.max() <= 2 and diff.mean() < 0.6


@pytest.mark.parametrize("seed", range(4))
def test_perspective_matches_pillow(seed):
    x = make_batch(n=1, height=48, width=64, seed=seed)[0]
    out = I.Perspective(distortion_range=(0.1, 0.25))(image=x, rng=seed, return_params=True)
    shift = out["params"]["children"][0]["corner_shift"]
    src = np.array([[[0, 0], [64, 0], [64, 48], [0, 48]]], dtype=float)
    forward = homography_from_points(src, src + shift * np.array([64, 48]))[0]
    inv = np.linalg.inv(forward)
    inv = inv / inv[2, 2]
    ref = np.asarray(Image.fromarray(x).transform((64, 48), Image.PERSPECTIVE, inv.ravel()[:8],
                                                  resample=Image.BILINEAR))
    inside = _interior(48, 64, forward)
    diff = np.abs(out["image"].astype(int) - ref.astype(int))[inside]
    assert diff.max() <= 2 and diff.mean() < 0.6


def test_flips_are_exact():
    x = make_batch(n=2, height=7, width=9)
    assert np.array_equal(I.HorizontalFlip(p=1)(image=x)["image"], x[:, :, ::-1])
    assert np.array_equal(I.VerticalFlip(p=1)(image=x)["image"], x[:, ::-1])
    both = ak.Compose([I.HorizontalFlip(p=1), I.VerticalFlip(p=1)])(image=x)["image"]
    assert np.array_equal(both, x[:, ::-1, ::-1])


def test_flip_boxes_and_keypoints_analytic():
    img = np.zeros((10, 20), np.uint8)
    out = I.HorizontalFlip(p=1)(image=img, bboxes=[[2, 1, 5, 4]], keypoints=[[2.5, 3.5]])
    assert np.allclose(out["bboxes"], [[15, 1, 18, 4]])
    assert np.allclose(out["keypoints"], [[17.5, 3.5]])


def test_symmetric_labels_flip_only_those_classes():
    x = make_batch(n=4)
    out = I.HorizontalFlip(symmetric_labels={"A", "O"}, p=1)(image=x, label=["A", "R", "O", "F"])
    for i, flipped in enumerate([True, False, True, False]):
        want = x[i, :, ::-1] if flipped else x[i]
        assert np.array_equal(out["image"][i], want)


def test_symmetric_labels_need_label():
    with pytest.raises(ValueError, match="label="):
        I.HorizontalFlip(symmetric_labels={1})(image=make_batch())


def _box_and_mask(t, seed):
    h, w = 64, 80
    mask = np.zeros((h, w), np.uint8)
    box = [22.0, 15.0, 50.0, 41.0]
    mask[15:41, 22:50] = 1
    out = t(image=np.zeros((h, w), np.uint8), mask=mask, bboxes=[box], rng=seed)
    ys, xs = np.nonzero(out["mask"])
    extent = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=float)
    return out["bboxes"][0], extent


GEOMETRIC = [
    I.Rotate(degrees_range=(-45, 45)),
    I.Scale(scale_range=(0.6, 1.4)),
    I.Affine(degrees_range=(-30, 30), translate_range=(-0.1, 0.1), shear_degrees_range=(-20, 20)),
    I.Perspective(distortion_range=(0.05, 0.2)),
    I.GridWarp(num_steps=4, distort_limit=0.45),
    I.ElasticWarp(alpha=40.0, sigma=6.0),
    ak.Compose([I.Rotate(degrees_range=(-30, 30)), I.Perspective(), I.GridWarp()]),
]


@pytest.mark.parametrize("t", GEOMETRIC, ids=lambda t: type(t).__name__)
@pytest.mark.parametrize("seed", range(6))
def test_box_matches_transformed_mask_extent(t, seed):
    box, extent = _box_and_mask(t, seed)
    assert np.abs(box - extent).max() <= 2.0, (box, extent)


@pytest.mark.parametrize("t", GEOMETRIC, ids=lambda t: type(t).__name__)
def test_keypoint_follows_its_pixel(t):
    """A single bright pixel ends up (after resampling) where its keypoint was mapped."""
    h, w = 64, 64
    rng = np.random.default_rng(0)
    for seed in range(5):
        img = np.zeros((h, w), np.float32)
        r, c = rng.integers(20, 44, size=2)
        img[r - 1:r + 2, c - 1:c + 2] = 1.0
        out = t(image=img, keypoints=[[c + 0.5, r + 0.5]], rng=seed)
        res = out["image"].astype(np.float64)
        cy, cx = ndimage.center_of_mass(res)
        assert np.hypot(cx + 0.5 - out["keypoints"][0][0], cy + 0.5 - out["keypoints"][0][1]) < 1.0


def test_fused_rotations_beat_separate_resamplings():
    x = make_batch(n=1, height=64, width=64, seed=2)
    a, b = 17.0, 26.0
    ra, rb = I.Rotate(degrees_range=(a, a)), I.Rotate(degrees_range=(b, b))
    truth = I.Rotate(degrees_range=(a + b, a + b))(image=x)["image"].astype(float)
    fused = ak.Compose([ra, rb])(image=x)["image"].astype(float)
    separate = ak.Compose([ra, rb], fuse_geometry=False)(image=x)["image"].astype(float)
    inside = _interior(64, 64, affine_matrices(center=(32.0, 32.0), degrees=[a + b])[0], margin=4)
    err_fused = np.abs(fused - truth)[0, ..., 0][inside].mean()
    err_separate = np.abs(separate - truth)[0, ..., 0][inside].mean()
    assert err_fused < 0.01  # one resampling: the same image up to float rounding
    assert err_separate > 10 * max(err_fused, 0.05)


def test_geometry_is_resampled_once_per_run(monkeypatch):
    """Consecutive geometric transforms make one resampling plan (a pixel op splits them)."""
    from augkit.core import runner

    plans = []
    real = runner.GeometryPlan
    monkeypatch.setattr(runner, "GeometryPlan", lambda ops, meta: plans.append(len(ops)) or real(ops, meta))
    x = make_batch(n=2)
    ak.Compose([I.Rotate(), I.Scale(), I.Perspective(), I.GridWarp()])(image=x, rng=0)
    assert plans == [4]
    plans.clear()
    ak.Compose([I.Rotate(), I.Scale(), I.Contrast(), I.GridWarp()])(image=x, rng=0)
    assert plans == [2, 1]
    plans.clear()
    ak.Compose([I.Rotate(), I.Scale(fill=9)])(image=x, rng=0)  # different fill: cannot share
    assert plans == [1, 1]


def test_rotation_keypoint_round_trip():
    pts = np.array([[3.0, 4.0], [20.0, 11.0], [15.5, 15.5]])
    img = np.zeros((32, 32), np.uint8)
    there = ak.Compose([I.Rotate(degrees_range=(25, 25)), I.Rotate(degrees_range=(-25, -25))],
                       keypoints_outside="flag")(image=img, keypoints=pts)
    assert np.allclose(there["keypoints"], pts, atol=1e-9)


def test_border_modes_against_numpy_pad():
    """A translation by exactly 2 px reads outside the image like numpy.pad's modes."""
    img = make_batch(n=1, height=8, width=8)[0]
    for mode in ("edge", "reflect"):
        out = I.Affine(translate_range=(0.25, 0.25), border_mode=mode)(image=img)["image"]
        ref = np.pad(img, ((2, 0), (2, 0), (0, 0)), mode=mode)[:8, :8]
        assert np.array_equal(out, ref), mode
    out = I.Affine(translate_range=(0.25, 0.25), fill=(1, 2, 3))(image=img)["image"]
    assert out[0, 0].tolist() == [1, 2, 3] and np.array_equal(out[2:, 2:], img[:6, :6])


def test_flip_fast_path_equals_general_path():
    """Flips without boxes/keypoints skip the matrix machinery; results must not change."""
    x = make_batch(n=6, height=9, width=13)
    mask = np.arange(6 * 9 * 13).reshape(6, 9, 13).astype(np.int32)
    pipe = ak.Compose([I.HorizontalFlip(p=0.6), I.VerticalFlip(p=0.6), I.HorizontalFlip(p=0.6)])
    fast = pipe(image=x, mask=mask, rng=4)
    general = pipe(image=x, mask=mask, bboxes=[[[1, 1, 5, 5]]] * 6, rng=4)
    assert np.array_equal(fast["image"], general["image"]) and np.array_equal(fast["mask"], general["mask"])
    params = pipe(image=x, rng=4, return_params=True)["params"]["children"]
    for i in range(6):
        fx = params[0]["active"][i] ^ params[2]["active"][i]
        fy = params[1]["active"][i]
        assert np.array_equal(fast["image"][i], x[i, ::-1 if fy else 1, ::-1 if fx else 1])


def _d4_reference(img, turns, transpose, flip):
    """np.rot90, then a transpose, then a left-right flip (the order of the pipeline below)."""
    out = np.rot90(img, turns)
    out = np.swapaxes(out, 0, 1) if transpose else out
    return out[:, ::-1] if flip else out


@pytest.mark.parametrize("targets", [False, True])
def test_quarter_turns_and_transposes_are_exact_with_their_targets(targets):
    """RandomRotate90, Transpose and a flip per sample against np.rot90 / np.swapaxes: pixels and
    label masks exact, keypoints and boxes mapped analytically (with targets the matrix path
    runs; without them the permutation fast path)."""
    s, n = 11, 16
    rng = np.random.default_rng(0)
    x, mask = make_batch(n=n, height=s, width=s), rng.integers(0, 5, (n, s, s)).astype(np.int32)
    pts = rng.uniform(0, s, (n, 3, 2))
    pipe = ak.Compose([I.RandomRotate90(p=0.8), I.Transpose(p=0.5), I.HorizontalFlip(p=0.5)])
    kw = {"keypoints": list(pts), "bboxes": [[[1.0, 2.0, 4.0, 9.0]]] * n} if targets else {}
    out = pipe(image=x, mask=mask, rng=3, return_params=True, **kw)
    turn, tr, flip = out["params"]["children"]
    drawn = set()
    for i in range(n):
        k = int(turn["quarter_turns"][i]) if turn["active"][i] else 0
        t, f = bool(tr["active"][i]), bool(flip["active"][i] and flip["flip"][i])
        drawn.add((k, t, f))
        assert np.array_equal(out["image"][i], _d4_reference(x[i], k, t, f)), (i, k, t, f)
        assert np.array_equal(out["mask"][i], _d4_reference(mask[i], k, t, f))
        if targets:  # continuous coordinates: a quarter turn counter-clockwise is (x, y) -> (y, s - x)
            px, py = pts[i, :, 0].copy(), pts[i, :, 1].copy()
            corners = np.array([[1.0, 2.0], [4.0, 2.0], [1.0, 9.0], [4.0, 9.0]])
            cx, cy = corners[:, 0].copy(), corners[:, 1].copy()
            for _ in range(k):
                px, py, cx, cy = py, s - px, cy, s - cx
            if t:
                px, py, cx, cy = py, px, cy, cx
            if f:
                px, cx = s - px, s - cx
            np.testing.assert_allclose(out["keypoints"][i], np.stack([px, py], axis=1), atol=1e-9)
            np.testing.assert_allclose(out["bboxes"][i], [[cx.min(), cy.min(), cx.max(), cy.max()]], atol=1e-9)
    assert len(drawn) >= 8  # the draws reach most of the 16 combinations


def test_quarter_turn_fuses_with_a_rotation_into_one_resampling():
    x = make_batch(n=3, height=16, width=16)
    fused = ak.Compose([I.RandomRotate90(quarter_turns=(3,)), I.Rotate(degrees_range=(12, 12))])(image=x)["image"]
    turned = np.ascontiguousarray(np.rot90(x, 3, axes=(1, 2)))
    assert np.array_equal(fused, I.Rotate(degrees_range=(12, 12))(image=turned)["image"])
    # two quarter turns and a half turn back: the identity, copied exactly
    pipe = ak.Compose([I.RandomRotate90(quarter_turns=(1,)), I.RandomRotate90(quarter_turns=(1,)),
                       I.HorizontalFlip(p=1), I.VerticalFlip(p=1)])
    assert np.array_equal(pipe(image=x)["image"], x)
    assert np.array_equal(pipe(image=x, bboxes=[[[2, 3, 7, 9]]] * 3)["bboxes"][1], [[2, 3, 7, 9]])


def test_quarter_turns_need_square_images_and_valid_turns():
    tall = np.zeros((6, 4), np.uint8)
    for t in (I.RandomRotate90(), I.RandomRotate90(quarter_turns=(1,), p=0.0), I.Transpose()):
        with pytest.raises(ValueError, match="square images"):
            t(image=tall)
    half = I.RandomRotate90(quarter_turns=(0, 2))(image=tall, rng=1)["image"]  # half turns keep the shape
    assert half.shape == (6, 4)
    for bad in [(), (4,), (1.0,), (True,), "13"]:
        with pytest.raises((TypeError, ValueError), match="quarter_turns"):
            I.RandomRotate90(quarter_turns=bad)


def test_quarter_turns_honour_symmetric_labels():
    x = make_batch(n=4, height=8, width=8)
    out = I.RandomRotate90(quarter_turns=(2,), symmetric_labels={"O", "8"})(image=x, label=["O", "6", "8", "9"])
    for i, turned in enumerate([True, False, True, False]):
        assert np.array_equal(out["image"][i], np.rot90(x[i], 2) if turned else x[i])


@pytest.mark.parametrize("k", [-0.4, 0.25])
def test_optical_distortion_matches_the_analytic_radial_map(k):
    h, w = 48, 64
    x = make_batch(n=1, height=h, width=w, channels=1, dtype=np.float32, seed=2)
    smooth = ndimage.gaussian_filter(x[0, ..., 0], 2.0)[None, ..., None].astype(np.float32)
    out = I.OpticalDistortion(distortion_range=(k, k))(image=smooth)["image"][0, ..., 0]
    yy, xx = np.mgrid[0:h, 0:w] + 0.5
    r2 = ((xx - w / 2) ** 2 + (yy - h / 2) ** 2) / ((w / 2) ** 2 + (h / 2) ** 2)
    factor = 1 + k * r2
    factor = np.where(1 + 3 * k * r2 < 0, 4.0, factor)  # beyond a pincushion's fold: read far outside
    src_x, src_y = w / 2 + (xx - w / 2) * factor - 0.5, h / 2 + (yy - h / 2) * factor - 0.5
    ref = ndimage.map_coordinates(smooth[0, ..., 0], [src_y, src_x], order=1, mode="constant", cval=0.0)
    inside = (src_x > 1) & (src_x < w - 2) & (src_y > 1) & (src_y < h - 2)
    assert np.abs(out - ref)[inside].max() < 0.02                    # a smooth image: sub-pixel error only


def test_optical_distortion_moves_keypoints_to_where_their_pixels_go():
    k = 0.3
    t = I.OpticalDistortion(distortion_range=(k, k))
    pts = np.array([[50.0, 10.0], [12.0, 40.0], [32.0, 24.0]])
    out = t(image=np.zeros((48, 64), np.uint8), keypoints=pts)["keypoints"]
    c, half_diag2 = np.array([32.0, 24.0]), 32.0**2 + 24.0**2
    back = c + (out - c) * (1 + k * ((out - c) ** 2).sum(axis=1, keepdims=True) / half_diag2)
    assert np.abs(back - pts).max() < 0.1                                # the analytic map sends them back
    assert np.linalg.norm(out[0] - c) < np.linalg.norm(pts[0] - c)        # barrel: pulled towards the centre


def test_strong_pincushion_drops_what_it_cannot_show():
    # k = -0.9 folds at rho = D / sqrt(2.7) (17.2 px here, inside the 40x40 canvas): source points
    # beyond rho (1 + k rho^2) are shown nowhere, and output pixels beyond the fold are filled
    # (the polynomial would show a mirrored copy of the periphery there, which no lens does).
    out = I.OpticalDistortion(distortion_range=(-0.9, -0.9))(
        image=np.full((40, 40), 200, np.uint8), mask=np.ones((40, 40), np.uint8),
        keypoints=[[0.5, 0.5], [20.0, 25.0]], bboxes=[[0, 0, 40, 40]], bbox_format="pascal_voc")
    assert len(out["keypoints"]) == 1 and np.all(np.isfinite(out["keypoints"]))
    fold = np.hypot(20, 20) / np.sqrt(2.7)
    yy, xx = np.mgrid[0:40, 0:40] + 0.5
    beyond = np.hypot(xx - 20, yy - 20) > fold + 0.5
    within = np.hypot(xx - 20, yy - 20) < fold - 0.5
    assert (out["image"][beyond] == 0).all() and (out["mask"][beyond] == 0).all()
    assert (out["image"][within] == 200).all() and (out["mask"][within] == 1).all()
    # the whole image's box now ends where the lens's view does: the fold circle
    np.testing.assert_allclose(out["bboxes"], [[20 - fold, 20 - fold, 20 + fold, 20 + fold]], atol=1e-6)


def test_optical_distortion_boxes_cover_what_the_lens_shows_of_their_object():
    # The box of a rectangle, after the warp, against the warped mask of the same rectangle: it
    # covers the mask (to the pixel), and is within a pixel of it even where a strong pincushion
    # cuts the object off at the fold (4.1 pixels, 90% within 0.72, before boxes were clipped as
    # polygons; 1.63 and 0.50 with that; 0.75 and 0.50 since outlines follow the fold).
    t = I.OpticalDistortion(distortion_range=(-0.6, 0.5))
    rng = np.random.default_rng(5)
    loose = []
    for trial in range(150):
        x0, y0 = int(rng.integers(0, 20)), int(rng.integers(0, 16))
        x1, y1 = min(x0 + int(rng.integers(8, 30)), 56), min(y0 + int(rng.integers(8, 28)), 48)
        mask = np.zeros((48, 56), np.uint8)
        mask[y0:y1, x0:x1] = 1
        out = t(image=np.zeros((48, 56), np.uint8), mask=mask, bboxes=[[x0, y0, x1, y1]], rng=trial)
        ys, xs = np.nonzero(out["mask"])
        if not len(xs):
            continue
        bx, mb = out["bboxes"][0], (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
        assert max(bx[0] - mb[0], bx[1] - mb[1], mb[2] - bx[2], mb[3] - bx[3]) <= 1.0
        loose.append(max(mb[0] - bx[0], mb[1] - bx[1], bx[2] - mb[2], bx[3] - mb[3]))
    assert max(loose) <= 1.0 and np.percentile(loose, 90) <= 0.6


def test_boxes_cut_off_by_a_lens_fold_follow_the_fold():
    """Strong pincushion (k < -1/3) shows nothing beyond its fold. A box's outline leaving the
    lens's reach runs along the fold only between where it leaves and comes back (its unseen
    corners, each on its own ray, made boxes up to 25 px too wide on a 256x256 image), and an
    object wholly beyond the reach loses its box."""
    t = I.OpticalDistortion(distortion_range=(-0.6, -0.4))
    rng = np.random.default_rng(9)
    worst, dropped = 0.0, 0
    for trial in range(120):
        x0, y0 = rng.integers(0, 200, 2)
        x1, y1 = x0 + rng.integers(10, 56), y0 + rng.integers(10, 56)
        mask = np.zeros((256, 256), np.uint8)
        mask[y0:y1, x0:x1] = 1
        out = t(image=np.zeros((256, 256), np.uint8), mask=mask, bboxes=[[x0, y0, x1, y1]], rng=trial)
        ys, xs = np.nonzero(out["mask"])
        if xs.size == 0:
            assert len(out["bboxes"]) == 0, trial  # nothing shows: no box
            dropped += 1
            continue
        box, extent = np.asarray(out["bboxes"][0]), np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
        worst = max(worst, np.abs(box - extent).max())
    assert worst <= 1.5 and dropped >= 5, (worst, dropped)


def test_clip_polygons_matches_sutherland_hodgman_one_polygon_at_a_time():
    """The batched clipping (rows of different lengths, padded with repeats) against the plain
    per-polygon loop above, on star-shaped polygons and windows that cut them or miss them."""
    from augkit.kernels.boxes import clip_polygons

    rng = np.random.default_rng(0)
    polys, windows = [], []
    for _ in range(300):
        k = int(rng.integers(3, 12))
        c, r = rng.uniform(-10, 60, 2), rng.uniform(3, 20)
        t = np.sort(rng.uniform(0, 2 * np.pi, k))
        radius = r * rng.uniform(0.5, 1.5, k)
        poly = np.stack([c[0] + radius * np.cos(t), c[1] + radius * np.sin(t)], 1)
        polys.append(np.concatenate([poly, np.repeat(poly[-1:], 12 - k, axis=0)]))  # padded like the runner's
        windows.append([rng.uniform(-5, 10), rng.uniform(-5, 10), rng.uniform(30, 56), rng.uniform(20, 40)])
    got = clip_polygons(np.array(polys), np.array(windows))
    empty = 0
    for poly, win, row in zip(polys, windows, got, strict=True):
        shifted = [(x - win[0], y - win[1]) for x, y in poly.tolist()]
        ref = _sutherland_hodgman(shifted, win[3] - win[1], win[2] - win[0])
        ref = [(x, y) for i, (x, y) in enumerate(ref) if i == 0 or (x, y) != ref[i - 1]]  # (the input's repeats)
        if not ref:
            assert np.isnan(row).all()
            empty += 1
            continue
        distinct = row[np.r_[True, np.any(np.diff(row, axis=0) != 0, axis=1)]]
        np.testing.assert_allclose(distinct, np.array(ref) + win[:2], atol=1e-9)
    assert 10 < empty < 150


@pytest.mark.parametrize(("pipe", "tolerance"), [
    (ak.Compose([I.Rotate(degrees_range=(-45, 45)), I.RandomCrop(height=40, width=48)]), 1.5),
    (ak.Compose([I.Affine(degrees_range=(-30, 30), shear_degrees_range=(-20, 20)), I.CenterCrop(height=44, width=52),
                 I.Resize(height=60, width=60)]), 1.5 * 60 / 44),
    (ak.Compose([I.Perspective(distortion_range=(0.05, 0.2)), I.Pad(padding_px=4), I.RandomCrop(height=44, width=60)]),
     1.5),
    (ak.Compose([I.GridWarp(num_steps=4, distort_limit=0.45),
                 I.RandomResizedCrop(height=48, width=48, scale_range=(0.5, 1.0), ratio_range=(0.8, 1.25))]),
     1.5 * 48 / (0.5 * 0.8 * 64 * 80) ** 0.5),
    (ak.Compose([I.Rotate(degrees_range=(-45, 45)), I.Contrast(), I.GridWarp(num_steps=4, distort_limit=0.45)]), 1.5),
    (ak.Compose([I.GridWarp(num_steps=4, distort_limit=0.45), I.Pad(padding_px=4),
                 I.Affine(degrees_range=(-30, 30), scale_range=(0.8, 1.2))]), 1.5),
    (ak.Compose([I.Rotate(degrees_range=(-45, 45)), I.RandomCrop(height=48, width=56),
                 I.Perspective(distortion_range=(0.05, 0.2))]), 1.5),
], ids=["rotate-crop", "affine-crop-resize", "perspective-pad-crop", "gridwarp-resizedcrop", "rotate-contrast-grid",
        "grid-pad-affine", "rotate-crop-perspective"])
def test_boxes_through_chains_of_warps_and_crops_match_their_warped_masks(pipe, tolerance):
    """A crop after a warp cuts the warped outline, not its box, and a warp after a crop (or
    after a pixel transform that keeps two warps apart) starts from what was left of that
    outline, not from its box: a rotated object cut near a corner by a crop keeps the extent of
    the part left. Checked against the same rectangle as a mask through the same pipeline, both
    ways: the box covers the mask sampled by nearest neighbour (which misses slivers thinner than
    a pixel) and lies within the mask resampled like the image (which blurs a pixel or so
    outward), each to 1.5 pixels times the zoom of a resize that follows. Re-boxing after every
    step (as before) gave boxes up to 11 pixels too large."""
    h, w = 64, 80
    rng = np.random.default_rng(12)
    soft = ak.Compose(list(pipe.transforms), mask_interpolation="image")
    cut = 0
    for trial in range(40):
        bw, bh = rng.integers(12, 30, 2)
        x0, y0 = int(rng.integers(0, w - bw)), int(rng.integers(0, h - bh))
        mask = np.zeros((h, w), np.float32)
        mask[y0:y0 + bh, x0:x0 + bw] = 1.0
        box = [[x0, y0, x0 + bw, y0 + bh]]
        out = pipe(image=np.zeros((h, w), np.uint8), mask=mask.astype(np.uint8), bboxes=box, rng=trial)
        blurred = soft(image=np.zeros((h, w), np.uint8), mask=mask, bboxes=box, rng=trial)["mask"]
        near, wide = (np.nonzero(m) for m in (out["mask"], blurred > 0.02))
        if near[0].size < 9 or len(out["bboxes"]) == 0:
            continue
        inner, outer = ([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1] for ys, xs in (near, wide))
        b = out["bboxes"][0]
        assert b[0] <= inner[0] + tolerance and b[1] <= inner[1] + tolerance, (trial, b, inner)
        assert b[2] >= inner[2] - tolerance and b[3] >= inner[3] - tolerance, (trial, b, inner)
        assert b[0] >= outer[0] - tolerance and b[1] >= outer[1] - tolerance, (trial, b, outer)
        assert b[2] <= outer[2] + tolerance and b[3] <= outer[3] + tolerance, (trial, b, outer)
        cut += bool(min(inner[:2]) <= 0 or inner[2] >= out["mask"].shape[1] or inner[3] >= out["mask"].shape[0])
    assert cut >= 5  # boxes the crop cut came up


@pytest.mark.parametrize("t", [I.GridWarp(num_steps=5, distort_limit=0.45), I.ElasticWarp(alpha=40.0, sigma=5.0),
                               I.PiecewiseAffine(scale_range=(0.03, 0.05))], ids=lambda t: type(t).__name__)
def test_field_forward_inverts_source_with_the_cells_own_jacobian(t):
    """``forward`` (Newton with the Jacobian taken from the interpolating cell's nodes) lands
    where ``source`` reads the point back, and that Jacobian is the finite-difference one."""
    meta = ak.core.Meta(n=8, height=48, width=64, channels=1, dtype=np.dtype(np.uint8))
    f = t.field(t.sample(np.random.default_rng(1), meta), meta)
    rng = np.random.default_rng(2)
    x, y, sample = rng.uniform(4, 60, 4000), rng.uniform(4, 44, 4000), rng.integers(0, 8, 4000)
    fx, fy = f.forward(x, y, sample)
    bx, by = f.source(fx, fy, sample)
    back = np.hypot(bx - x, by - y)
    assert np.mean(back < 1e-4) > 0.99 and np.median(back) < 1e-6
    dx, dy, xx, xy, yx, yy = f._blend_jacobian(x, y, sample)
    np.testing.assert_allclose(np.stack([dx, dy]), np.stack(f.displacement(x, y, sample)), atol=1e-5)  # (float32 nodes)
    h = 1e-3  # (central differences: exact for the bilinear cells' linear slopes, up to float32 nodes)
    (ax, ay), (bx, by) = f.displacement(x + h, y, sample), f.displacement(x - h, y, sample)
    (cx, cy), (ex, ey) = f.displacement(x, y + h, sample), f.displacement(x, y - h, sample)
    fd = np.stack([ax - bx, cx - ex, ay - by, cy - ey]) / (2 * h)
    close = np.isclose(np.stack([xx, xy, yx, yy]), fd, atol=1e-3).all(axis=0)
    assert close.mean() > 0.99  # (all but points within 1e-3 of a cell or triangle edge)


def test_radial_forward_of_a_point_does_not_depend_on_the_batch_around_it():
    """Each point's Newton iteration stops on its own step (they all stopped when every point
    had converged, so a batch moved a point by ~1e-14 px from where it lands alone), and boxes
    through OpticalDistortion replay bit for bit one image at a time (found by a fuzz of random
    pipelines comparing batches with per-sample replays)."""
    from augkit.core.transform import take_params
    from augkit.kernels.fields import RadialField

    field = RadialField(np.array([0.3, -0.5, 0.1]), 64, 64)
    rng = np.random.default_rng(0)
    x, y, sample = rng.uniform(-10, 74, 300), rng.uniform(-10, 74, 300), rng.integers(0, 3, 300)
    for unseen in ("edge", "outside"):
        bx, by = field.forward(x, y, sample, unseen=unseen)
        alone = np.array([np.ravel(field.forward(x[i:i + 1], y[i:i + 1], sample[i:i + 1], unseen=unseen))
                          for i in range(300)])
        np.testing.assert_array_equal(alone, np.stack([bx, by], axis=1))
    pipe = ak.Compose([I.OpticalDistortion(distortion_range=(-0.8, 0.8)), I.Contrast(),
                       I.GridWarp(num_steps=4, distort_limit=0.4), I.OpticalDistortion(distortion_range=(-0.8, 0.8))])
    images = rng.integers(0, 255, (4, 48, 56, 3), dtype=np.uint8)
    boxes = [np.array([[2.0, 3.0, 30.0, 40.0], [20.0, 6.0, 52.0, 44.0]]) + i for i in range(4)]
    out = pipe(image=images, bboxes=boxes, rng=28, return_params=True)
    for i in range(4):
        one = pipe.replay(take_params(out["params"], np.array([i])), image=images[i:i + 1], bboxes=[boxes[i]])
        np.testing.assert_array_equal(one["bboxes"][0], out["bboxes"][i])


def _sutherland_hodgman(poly: list[tuple[float, float]], height: int, width: int) -> list[tuple[float, float]]:
    """Reference: the polygon clipped against the canvas's four half-planes one after the other."""
    def clip(points, inside, cross):
        out = []
        for i, cur in enumerate(points):
            prev = points[i - 1]
            if inside(cur):
                if not inside(prev):
                    out.append(cross(prev, cur))
                out.append(cur)
            elif inside(prev):
                out.append(cross(prev, cur))
        return out

    def at_x(c):
        return lambda p, q: (c, p[1] + (c - p[0]) * (q[1] - p[1]) / (q[0] - p[0]))

    def at_y(c):
        return lambda p, q: (p[0] + (c - p[1]) * (q[0] - p[0]) / (q[1] - p[1]), c)

    for inside, cross in ((lambda p: p[0] >= 0, at_x(0.0)), (lambda p: p[0] <= width, at_x(float(width))),
                          (lambda p: p[1] >= 0, at_y(0.0)), (lambda p: p[1] <= height, at_y(float(height)))):
        poly = clip(poly, inside, cross)
        if not poly:
            break
    return poly


def test_clip_outline_boxes_bound_the_polygons_part_inside_the_canvas():
    """Against Sutherland-Hodgman clipping: rotated and sheared rectangles and bowed 64-point
    outlines about the canvas's corners, partly outside, where the bounding box clipped to the
    canvas is too large."""
    from augkit.kernels.boxes import boxes_from_points, clip_boxes, clip_outline_boxes

    h, w = 40, 56
    rng = np.random.default_rng(3)
    tighter = 0
    for trial in range(300):
        centre = rng.choice([0.0, w]) + rng.uniform(-12, 12), rng.choice([0.0, h]) + rng.uniform(-12, 12)
        if trial % 3 == 2:  # a bowed outline (star-shaped about its centre, not convex)
            t = np.linspace(0, 2 * np.pi, 64, endpoint=False)
            r = rng.uniform(4, 14) * (1 + 0.25 * np.cos(4 * t)) / np.maximum(np.abs(np.cos(t)), np.abs(np.sin(t)))
            poly = np.stack([centre[0] + r * np.cos(t), centre[1] + r * np.sin(t)], axis=1)
        else:  # a rotated, sheared rectangle
            a, b = rng.uniform(2, 16, 2)
            poly = np.array([[-a, -b], [a, -b], [a, b], [-a, b]]) @ (np.eye(2) + rng.normal(0, 0.6, (2, 2))) + centre
        box, kept = clip_outline_boxes(poly[None], h, w)
        part = np.array(_sutherland_hodgman([tuple(p) for p in poly.tolist()], h, w))
        full = boxes_from_points(poly[None])
        if len(part) == 0:  # nothing inside: the clipped bounding box, nothing kept
            assert kept[0] == 0.0
            continue
        ref = np.concatenate([part.min(axis=0), part.max(axis=0)])
        np.testing.assert_allclose(box[0], ref, atol=1e-9, err_msg=str((trial, poly.tolist())))
        area = (ref[2] - ref[0]) * (ref[3] - ref[1])
        assert kept[0] == pytest.approx(area / ((full[0, 2] - full[0, 0]) * (full[0, 3] - full[0, 1])))
        tighter += np.abs(clip_boxes(full, h, w)[0][0] - box[0]).max() > 1.0
    assert tighter > 20  # the case this function exists for comes up


@pytest.mark.parametrize("t", [
    I.Rotate(degrees_range=(-45, 45)),
    I.Affine(degrees_range=(-30, 30), shear_degrees_range=(-20, 20)),
    I.Perspective(distortion_range=(0.05, 0.2)),
    I.OpticalDistortion(distortion_range=(-0.3, 0.3)),
    I.GridWarp(num_steps=4, distort_limit=0.45),
], ids=lambda t: type(t).__name__)
def test_boxes_leaving_the_canvas_match_their_warped_masks(t):
    """Boxes by the canvas's corners, partly carried out of it: each box is that of what is left
    inside (to 1.5 pixels, against the warped mask of the same rectangle), not the bounding box
    of the whole warped rectangle clipped to the canvas (up to 8 pixels too wide for Rotate)."""
    h, w = 64, 80
    rng = np.random.default_rng(11)
    for trial in range(40):
        bw, bh = rng.integers(10, 30, 2)
        x0 = int(rng.integers(0, 6)) if rng.random() < 0.5 else int(w - bw - rng.integers(0, 6))
        y0 = int(rng.integers(0, 6)) if rng.random() < 0.5 else int(h - bh - rng.integers(0, 6))
        mask = np.zeros((h, w), np.uint8)
        mask[y0:y0 + bh, x0:x0 + bw] = 1
        out = t(image=np.zeros((h, w), np.uint8), mask=mask, bboxes=[[x0, y0, x0 + bw, y0 + bh]], rng=trial)
        ys, xs = np.nonzero(out["mask"])
        if xs.size < 9:
            continue
        extent = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=float)
        assert np.abs(out["bboxes"][0] - extent).max() <= 1.5, (trial, out["bboxes"][0], extent)


def test_piecewise_affine_is_affine_on_each_triangle():
    import cv2

    t = I.PiecewiseAffine(scale_range=(0.05, 0.05), num_rows=3, num_cols=4)
    meta = ak.core.Meta(n=1, height=40, width=60, channels=1, dtype=np.dtype(np.uint8))
    f = t.field(t.sample(np.random.default_rng(5), meta), meta)
    sx, sy = f.spacing
    rng = np.random.default_rng(0)
    for _ in range(20):
        i, j = int(rng.integers(0, 2)), int(rng.integers(0, 3))     # cell row, column
        corners = [(j, i), (j + 1, i), (j + 1, i + 1)] if rng.random() < 0.5 else [(j, i), (j, i + 1), (j + 1, i + 1)]
        dst = np.array([[c * sx, r * sy] for c, r in corners], np.float32)
        src = dst + np.array([f.nodes[0, r, c] for c, r in corners], np.float32)
        affine = cv2.getAffineTransform(dst, src)                   # output triangle -> source triangle
        w = rng.dirichlet([1, 1, 1])                                # a point inside the triangle
        p = w @ dst
        got = np.array(f.source(np.array([p[0]]), np.array([p[1]]), np.array([0]))).ravel()
        assert np.allclose(got, affine @ np.array([p[0], p[1], 1.0]), atol=1e-4)


def test_piecewise_affine_keypoints_land_where_their_pixels_go():
    t = I.PiecewiseAffine(scale_range=(0.04, 0.04), num_rows=4, num_cols=4)
    res = t(image=np.zeros((48, 64), np.uint8), keypoints=[[20.0, 20.0], [40.0, 30.0]], rng=2, return_params=True)
    meta = ak.core.Meta(n=1, height=48, width=64, channels=1, dtype=np.dtype(np.uint8))
    f = t.field(res["params"]["children"][0], meta)
    pts = res["keypoints"]
    back = np.stack(f.source(pts[:, 0], pts[:, 1], np.zeros(len(pts), int)), axis=1)
    assert np.abs(back - [[20.0, 20.0], [40.0, 30.0]]).max() < 1e-3


@pytest.mark.parametrize(("height", "width", "sigma"), [(40, 36, 3.0), (7, 5, 4.0), (130, 90, 2.0), (160, 200, 5.0)])
def test_elastic_field_is_the_drawn_noise_smoothed_as_scipy_does(height, width, sigma):
    # small fields take the matrix path (one BLAS product per axis), large ones OpenCV/SciPy per
    # plane: both are SciPy's reflect-mode Gaussian (truncated at 3 sigma) of the seed's noise
    from augkit.kernels.fields import elastic_displacements, elastic_noise
    from augkit.kernels.streams import per_sample_generators

    seeds = np.array([3, 11, 12], dtype=np.uint64)
    field = elastic_displacements(seeds, height, width, alpha=20.0, sigma=sigma).nodes
    noise = elastic_noise(seeds, height, width)
    # the noise: each seed's PCG64 words cut into 16-bit quarters, centred in their steps
    words = next(per_sample_generators(seeds[1:2])).bit_generator.random_raw(-(-2 * height * width // 4))
    quarters = (words[:, None] >> (16 * np.arange(4, dtype=np.uint64))[None, :]) & np.uint64(0xFFFF)
    np.testing.assert_array_equal(noise[1].ravel(), (quarters.ravel()[:2 * height * width] + 0.5) / 65536)
    radius = int(3.0 * sigma + 0.5)
    want = ndimage.gaussian_filter(noise.astype(np.float64) * 2 - 1, sigma=(0, 0, sigma, sigma), mode="reflect",
                                   truncate=radius / sigma) * 20.0
    assert field.shape == (3, height, width, 2)
    np.testing.assert_allclose(field, want.transpose(0, 2, 3, 1), atol=1e-4)
    # a sample's field does not depend on the batch around it, to the last bit
    alone = elastic_displacements(seeds[1:2], height, width, alpha=20.0, sigma=sigma).nodes
    np.testing.assert_array_equal(alone[0], field[1])


def test_homography_source_coords_are_the_projective_map_at_pixel_centres():
    """Against float64 evaluated pixel by pixel; ``out=`` arrays get the same values; a pixel whose
    homogeneous weight vanishes gets NaN (it then reads the border)."""
    from augkit.kernels.geometry import homography_source_coords

    rng = np.random.default_rng(12)
    inv = np.tile(np.eye(3), (3, 1, 1))
    inv[:, :2] += rng.normal(0, 0.2, (3, 2, 3))
    inv[1, 2, :2] = [2e-3, -1e-3]
    inv[2, 2] = [0.0, 0.0, 0.0]  # weight 0 everywhere
    h, w = 9, 13
    x, y = homography_source_coords(inv, (h, w))
    yy, xx = np.mgrid[0:h, 0:w] + 0.5
    for i in range(2):
        p = np.einsum("ij,jhw->ihw", inv[i], np.stack([xx, yy, np.ones_like(xx)]))
        np.testing.assert_allclose(x[i], p[0] / p[2] - 0.5, rtol=1e-6, atol=1e-4)
        np.testing.assert_allclose(y[i], p[1] / p[2] - 0.5, rtol=1e-6, atol=1e-4)
    assert np.isnan(x[2]).all() and np.isnan(y[2]).all()
    out = (np.zeros((3, h, w), np.float32), np.zeros((3, h, w), np.float32))
    got = homography_source_coords(inv, (h, w), out=out)
    assert got[0] is out[0] and np.array_equal(out[0], x, equal_nan=True) and np.array_equal(out[1], y, equal_nan=True)
