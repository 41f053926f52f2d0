"""Export-time forms of layers that compute sizes with Python numbers.

``torch.onnx.export`` (TorchScript tracing) records shapes as tensors, but a
size passed through ``int()`` or ``math.ceil`` becomes a constant of the trace:
a graph with dynamic height / width would then reuse the export size's values
at every other size. Two layers of the stack do this:

- mmseg ``Upsample`` (``FPNHead``'s x2 steps): ``int(t * scale_factor)``;
- mmcv ``Conv2dAdaptivePadding`` (EfficientNet-Lite's TF "same" padding at
  stride 2): ``math.ceil(h / stride)`` and ``max(..., 0)``.

:func:`traceable_sizes` swaps in forms with the same arithmetic on traced
tensors while a model is exported; PyTorch's own forward is restored after.
The export then checks the graph against the original forward at a second,
odd size (:func:`hp_mm.deploy.export_onnx`).
"""
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from mmcv.cnn.bricks.conv2d_adaptive_padding import Conv2dAdaptivePadding
from mmseg.models.utils import Upsample, resize
from torch import Tensor


def _scaled(t, factor: float):
    """``floor(t * factor)``, kept as a traced tensor when ``t`` is one."""
    if isinstance(t, Tensor):
        return torch.floor(t * factor).to(torch.int64)
    return int(t * factor)


def upsample_forward(self: Upsample, x: Tensor) -> Tensor:
    """mmseg ``Upsample.forward`` with the output size traced (``floor(t * scale)``)."""
    if self.size:
        return resize(x, self.size, None, self.mode, self.align_corners)
    size = [_scaled(t, self.scale_factor) for t in x.shape[-2:]]
    return resize(x, size, None, self.mode, self.align_corners)


def _same_pad(size, kernel: int, stride: int, dilation: int):
    """TF "same" padding of one axis: ``max((ceil(size / s) - 1) s + (k - 1) d + 1 - size, 0)``."""
    out = (size + stride - 1) // stride  # ceil(size / stride) for positive integers
    pad = (out - 1) * stride + (kernel - 1) * dilation + 1 - size
    return torch.clamp(pad, min=0) if isinstance(pad, Tensor) else max(pad, 0)


def adaptive_padding_forward(self: Conv2dAdaptivePadding, x: Tensor) -> Tensor:
    """mmcv ``Conv2dAdaptivePadding.forward`` with the padding traced (a zero pad is a no-op)."""
    h, w = x.shape[-2:]
    kernel_h, kernel_w = self.weight.shape[-2:]
    pad_h = _same_pad(h, kernel_h, self.stride[0], self.dilation[0])
    pad_w = _same_pad(w, kernel_w, self.stride[1], self.dilation[1])
    x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])
    return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                    self.groups)


#: (class, traceable forward) pairs swapped in by :func:`traceable_sizes`.
REWRITES = ((Upsample, upsample_forward), (Conv2dAdaptivePadding, adaptive_padding_forward))


@contextmanager
def traceable_sizes():
    """While active, the :data:`REWRITES` layers compute their sizes as traced tensors."""
    originals = [(cls, cls.forward) for cls, _ in REWRITES]
    try:
        for cls, forward in REWRITES:
            cls.forward = forward
        yield
    finally:
        for cls, forward in originals:
            cls.forward = forward
