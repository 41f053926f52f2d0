"""ONNX Runtime sessions of hp_mm graphs: torch tensors in, torch tensors out.

``onnx`` and ``onnxruntime`` are the optional ``deploy`` requirements
(``pip install -r requirements/deploy.txt``); they are imported when used.
"""
import json
import os.path as osp
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Tuple

import numpy as np

import torch
from torch import Tensor

#: Prefix of the ``metadata_props`` keys that hp_mm writes into its ONNX files.
META_PREFIX = 'hp_mm.'
#: ONNX Runtime graph optimisations turned off in every session (see OrtGraphSession).
DISABLED_OPTIMIZERS = ['QDQPropagationTransformer']
_INSTALL = 'pip install -r requirements/deploy.txt (or pip install -e .[deploy])'


def import_onnxruntime():
    """The ``onnxruntime`` module, or an ImportError that says how to install it."""
    try:
        import onnxruntime
    except ImportError as e:
        raise ImportError(f'ONNX Runtime is not installed: {_INSTALL}') from e
    return onnxruntime


def import_onnx():
    """The ``onnx`` module, or an ImportError that says how to install it."""
    try:
        import onnx
    except ImportError as e:
        raise ImportError(f'onnx is not installed: {_INSTALL}') from e
    return onnx


def ort_providers(device: Optional[str]) -> List:
    """ONNX Runtime execution providers for a torch-style device string.

    Raises:
        ValueError: A CUDA device without ONNX Runtime's CUDA provider
            (``onnxruntime-gpu``), or an unknown device.
    """
    device = str(device or 'cpu')
    if device == 'cpu':
        return ['CPUExecutionProvider']
    if device.startswith('cuda'):
        available = import_onnxruntime().get_available_providers()
        if 'CUDAExecutionProvider' not in available:
            raise ValueError(f'device {device!r}: this ONNX Runtime has no CUDA provider '
                             f'(available: {", ".join(available)}); install onnxruntime-gpu '
                             "or use device='cpu'")
        index = int(device.split(':')[1]) if ':' in device else 0
        return [('CUDAExecutionProvider', dict(device_id=index)), 'CPUExecutionProvider']
    raise ValueError(f"device {device!r}: expected 'cpu', 'cuda' or 'cuda:<index>'")


class OrtGraphSession:
    """One ONNX file in ONNX Runtime, called like the PyTorch graph it was exported from.

    Args:
        onnx_file (str): The ``.onnx`` file.
        device (str): ``'cpu'`` or ``'cuda[:i]'`` (see :func:`ort_providers`).
        num_threads (int, optional): ONNX Runtime's intra-op threads; None:
            its default (one per physical core).
        profile_prefix (str, optional): Turn on ONNX Runtime's profiler; its
            JSON trace is written to ``<profile_prefix>_<date>.json`` by
            :meth:`end_profiling`.
        optimization (str): ``'all'`` (default), ``'extended'``, ``'basic'``
            or ``'disable'``: ONNX Runtime's graph optimisation level.

    Attributes:
        input_name (str), input_shape (list): The graph input (dynamic
            axes are strings).
        output_names (list[str]), output_shapes (list[list]): The outputs.
        metadata (dict): The hp_mm metadata (JSON-decoded, without the
            ``hp_mm.`` prefix); empty for files hp_mm did not export.
    """

    def __init__(self, onnx_file: str, device: str = 'cpu', num_threads: Optional[int] = None,
                 profile_prefix: Optional[str] = None, optimization: str = 'all') -> None:
        ort = import_onnxruntime()
        if not osp.isfile(onnx_file):
            raise FileNotFoundError(f'{onnx_file}: no such ONNX file')
        levels = dict(all=ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
                      extended=ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                      basic=ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
                      disable=ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
        if optimization not in levels:
            raise ValueError(f'optimization must be one of {", ".join(levels)}, got '
                             f'{optimization!r}')
        options = ort.SessionOptions()
        options.graph_optimization_level = levels[optimization]
        if num_threads is not None:
            options.intra_op_num_threads = int(num_threads)
        if profile_prefix is not None:
            options.enable_profiling = True
            options.profile_file_prefix = profile_prefix
        try:
            # QDQ propagation moves an int8 graph's QuantizeLinear in front of a float
            # MaxPool kept after a float stem, which then runs a slow uint8 NCHW kernel
            # (6.5 of 25 ms at 512 x 512); float graphs have no QDQ nodes to move
            self.session = ort.InferenceSession(onnx_file, options,
                                                providers=ort_providers(device),
                                                disabled_optimizers=DISABLED_OPTIMIZERS)
        except Exception as e:  # noqa: BLE001 (ORT raises its own exception types)
            if isinstance(e, ValueError):
                raise
            raise ValueError(f'{onnx_file}: ONNX Runtime cannot load it '
                             f'({type(e).__name__}: {e})') from e
        self.onnx_file = onnx_file
        inp = self.session.get_inputs()
        if len(inp) != 1:
            raise ValueError(f'{onnx_file}: hp_mm graphs have one input, this one has '
                             f'{len(inp)} ({", ".join(i.name for i in inp)})')
        self.input_name, self.input_shape = inp[0].name, list(inp[0].shape)
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.output_shapes = [list(o.shape) for o in self.session.get_outputs()]
        custom = self.session.get_modelmeta().custom_metadata_map
        self.metadata = {k[len(META_PREFIX):]: json.loads(v)
                         for k, v in custom.items() if k.startswith(META_PREFIX)}
        self._recorded: Optional[List[np.ndarray]] = None

    def static_hw(self) -> Optional[Tuple[int, int]]:
        """(H, W) of a graph with a static input size, else None."""
        h, w = self.input_shape[2:4]
        return (h, w) if isinstance(h, int) and isinstance(w, int) else None

    def check_input(self, inputs: Tensor) -> None:
        """Raise a ValueError if ``inputs`` cannot go into the graph (rank, channels, size).

        Any batch size fits: a graph with a static batch of 1 runs image by image.
        """
        shape = tuple(inputs.shape)
        ok = len(shape) == len(self.input_shape) and all(
            not isinstance(d, int) or d == s for d, s in zip(self.input_shape[1:], shape[1:]))
        if not ok:
            want = ', '.join(str(d) if isinstance(d, int) else d for d in self.input_shape)
            raise ValueError(f'{self.onnx_file} takes {self.input_name} of shape ({want}), got '
                             f'{shape}' + ('; export it with --dynamic to run other sizes'
                                           if self.static_hw() else ''))

    def __call__(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        """Run the graph on ``inputs`` (float32 after conversion); outputs on its device.

        A graph exported with a static batch (of 1) runs a larger batch one
        image at a time; the outputs are concatenated.
        """
        self.check_input(inputs)
        batch = self.input_shape[0]
        if isinstance(batch, int) and inputs.shape[0] != batch:
            if batch != 1 or inputs.shape[0] == 0:
                raise ValueError(f'{self.onnx_file} takes batches of {batch}, got '
                                 f'{inputs.shape[0]}')
            runs = [self(inputs[i:i + 1]) for i in range(inputs.shape[0])]
            return tuple(torch.cat(parts) for parts in zip(*runs))
        array = inputs.detach().to('cpu', torch.float32).contiguous().numpy()
        if self._recorded is not None:
            self._recorded.append(array.copy())
        outputs = self.session.run(None, {self.input_name: array})
        return tuple(torch.from_numpy(o).to(inputs.device) for o in outputs)

    def run_named(self, inputs: Tensor) -> Dict[str, Tensor]:
        """:meth:`__call__` as ``{output name: tensor}``."""
        return dict(zip(self.output_names, self(inputs)))

    @contextmanager
    def recording(self) -> Iterator[List[np.ndarray]]:
        """A list that collects every input (float32 (N, 3, H, W)) run while active,
        e.g. the calibration set of :func:`~hp_mm.deploy.quantize_onnx`."""
        self._recorded = []
        try:
            yield self._recorded
        finally:
            self._recorded = None

    def end_profiling(self) -> str:
        """Stop the profiler; the JSON trace's path."""
        return self.session.end_profiling()
