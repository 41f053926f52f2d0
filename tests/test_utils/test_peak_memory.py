"""PeakMemoryMeter: a 256 MiB allocation inside the block shows in peak_mb, also when it is
freed before the block ends (the sampling thread saw it); an empty block shows ~0."""
import time

import numpy as np
import torch

from hp_mm.utils.peak_memory import PeakMemoryMeter, rss_bytes


def test_measures_a_known_allocation():
    assert rss_bytes() > 0
    with PeakMemoryMeter() as held:
        a = np.ones(256 * 2**20, dtype=np.uint8)  # touched pages: resident
    assert 240 <= held.peak_mb <= 400 and held.peak_cuda_mb is None
    del a
    with PeakMemoryMeter(interval=0.001) as freed:
        b = np.ones(256 * 2**20, dtype=np.uint8)
        time.sleep(0.2)  # the sampler runs while the array is alive
        del b
    assert 240 <= freed.peak_mb <= 400
    with PeakMemoryMeter(torch.device('cpu')) as idle:
        pass
    assert idle.peak_mb < 50
