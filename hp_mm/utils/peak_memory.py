"""Peak extra memory of a block of code: host RSS and, on CUDA, allocated device memory."""
import os
import resource
import threading
from typing import Optional

import torch


def rss_bytes() -> Optional[int]:
    """Resident set size of this process in bytes (Linux ``/proc/self/statm``), or None
    where ``/proc`` is not available."""
    try:
        with open('/proc/self/statm') as f:
            return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
    except (OSError, ValueError, IndexError):
        return None


class PeakMemoryMeter:
    """Peak extra memory of a code block.

    Host: the resident set size above its value at entry, sampled by a thread every
    ``interval`` seconds (and once more at exit); without ``/proc`` it falls back to
    ``ru_maxrss``, which only counts when the block sets a new high for the process.
    CUDA (when ``device`` is a CUDA device): the peak of
    ``torch.cuda.max_memory_allocated`` above the allocation at entry.

    Args:
        device (torch.device, optional): Device whose CUDA memory is also measured.
        interval (float): Sampling period of the host RSS in seconds. Default 0.005.

    Attributes:
        peak_mb (float): Peak extra host memory in MiB (after the block).
        peak_cuda_mb (float | None): Peak extra CUDA memory in MiB, None off CUDA.

    Example:
        >>> with PeakMemoryMeter() as meter:
        ...     work()
        >>> meter.peak_mb, meter.peak_cuda_mb
    """

    def __init__(self, device: Optional[torch.device] = None, interval: float = 0.005) -> None:
        self.device = device
        self.interval = interval
        self.peak_mb = 0.0
        self.peak_cuda_mb: Optional[float] = None
        self._stop = threading.Event()
        self._thread = None

    def _on_cuda(self) -> bool:
        return self.device is not None and self.device.type == 'cuda'

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            rss = rss_bytes()
            if rss is not None and rss > self._peak:
                self._peak = rss

    def __enter__(self) -> 'PeakMemoryMeter':
        self._start = rss_bytes()
        self._peak = self._start or 0
        self._maxrss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if self._start is not None:
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        if self._on_cuda():
            torch.cuda.synchronize(self.device)
            self._cuda0 = torch.cuda.memory_allocated(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
        return self

    def __exit__(self, *exc) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            peak = max(self._peak, rss_bytes() or 0)
            self.peak_mb = max(peak - self._start, 0) / 2**20
        else:  # ru_maxrss is in KiB on Linux
            self.peak_mb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss -
                               self._maxrss0, 0) / 1024
        if self._on_cuda():
            torch.cuda.synchronize(self.device)
            self.peak_cuda_mb = max(torch.cuda.max_memory_allocated(self.device) - self._cuda0,
                                    0) / 2**20
