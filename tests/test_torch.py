"""PyTorch DataLoader seeding and collate-time batch augmentation.

The first test needs no torch: it stands in a fake ``torch.utils.data.get_worker_info`` and
checks the stream logic. The others run a real DataLoader (2 workers, 2 epochs) when torch is
installed (``pip install "augkit[torch]"``).
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

import augkit as ak


def _draws(pipe, worker):
    """What a pipeline draws for one call, as a worker with (id, seed) would."""
    info = None if worker is None else types.SimpleNamespace(id=worker[0], seed=worker[1])
    fake = types.ModuleType("torch")
    fake.utils = types.SimpleNamespace(data=types.SimpleNamespace(get_worker_info=lambda: info))
    saved = sys.modules.get("torch")
    sys.modules["torch"] = fake
    try:
        return pipe(image=np.zeros((1, 4, 4, 1), np.uint8), return_params=True)["params"]["children"][0]["degrees"][0]
    finally:
        if saved is None:
            del sys.modules["torch"]
        else:
            sys.modules["torch"] = saved


def test_seeded_pipeline_rederives_its_stream_per_worker_and_worker_seed():
    def run(seed):
        pipe = ak.Compose([ak.image.Rotate()], seed=seed)
        table = {}
        for epoch_base in (1000, 2000):  # torch draws a new base seed per epoch
            for wid in (0, 1):
                table[epoch_base, wid] = [_draws(pipe, (wid, epoch_base + wid)) for _ in range(3)]
        return table

    a, b = run(7), run(7)
    assert a == b  # reproducible from the seeds
    firsts = {v[0] for v in a.values()}
    assert len(firsts) == 4  # distinct across workers and epochs
    assert all(len(set(v)) == 3 for v in a.values())  # and the stream advances within a worker
    assert run(8) != a


def _dataset_class():
    torch = pytest.importorskip("torch")

    class Images(torch.utils.data.Dataset):
        def __init__(self):
            self.pipe = ak.Compose([ak.image.Rotate(degrees_range=(-180, 180))])  # no seed: from torch
            self.image = np.zeros((8, 8, 1), np.uint8)

        def __len__(self):
            return 8

        def __getitem__(self, i):
            out = self.pipe(image=self.image, return_params=True)
            return np.float64(out["params"]["children"][0]["degrees"][0])

    return torch, Images


def _epochs(torch, dataset, seed, **loader_kwargs):
    torch.manual_seed(seed)
    loader = torch.utils.data.DataLoader(dataset, batch_size=4, num_workers=2, **loader_kwargs)
    return [[batch.numpy().tolist() for batch in loader] for _ in range(2)]


def test_real_dataloader_seeding_table():
    torch, Images = _dataset_class()
    ds = Images()
    run1 = _epochs(torch, ds, 0)
    run2 = _epochs(torch, ds, 0)
    assert run1 == run2  # identical across two runs with the same seed
    (w0e1, w1e1), (w0e2, w1e2) = run1
    assert w0e1 != w1e1  # distinct across workers (batch 0 from worker 0, batch 1 from worker 1)
    assert w0e1 != w0e2 and w1e1 != w1e2  # distinct across epochs
    assert len(set(w0e1 + w1e1 + w0e2 + w1e2)) == 16
    assert _epochs(torch, ds, 1) != run1


def test_batch_augment_collates_in_the_worker_with_per_sample_draws():
    torch = pytest.importorskip("torch")
    from augkit.torch import BatchAugment, worker_init_fn

    class Pairs(torch.utils.data.Dataset):
        def __len__(self):
            return 16

        def __getitem__(self, i):
            img = np.zeros((8, 8, 3), np.uint8)
            img[:, :4] = 255
            return img, i

    assert ak.torch.BatchAugment is BatchAugment  # the spelling: ak.torch.BatchAugment(pipe)
    collate = BatchAugment(ak.Compose([ak.image.HorizontalFlip(p=0.5)]), key=0, channels_first=True)
    torch.manual_seed(0)
    loader = torch.utils.data.DataLoader(Pairs(), batch_size=8, num_workers=2, collate_fn=collate,
                                         worker_init_fn=worker_init_fn)
    batches = list(loader)
    assert len(batches) == 2
    images, labels = batches[0]
    assert isinstance(images, torch.Tensor) and images.shape == (8, 3, 8, 8) and images.dtype == torch.uint8
    assert labels.tolist() == list(range(8))
    flipped = (images[:, 0, 0, 0] == 0).tolist()  # left half dark after a flip
    assert 0 < sum(flipped) < 8  # each sample drew for itself
    collate_dicts = BatchAugment(ak.Compose([ak.image.Invert()]), key="image")
    out = collate_dicts([{"image": np.zeros((4, 4), np.uint8), "y": 1}] * 3)
    assert out["image"].shape == (3, 4, 4) and int(out["image"].min()) == 255 and out["y"].tolist() == [1, 1, 1]
