"""The base of hp_mm's Inferencers: mmengine's ``BaseInferencer`` as mmseg and mmdet use it.

Each of ``BaseInferencer``'s steps is overridden only where hp_mm differs:

- ``_load_model_from_metafile``: the names of hp_mm's ``model-index.yml``, then
  config stems (:func:`~hp_mm.apis.inferencers.utils.resolve_config`);
- ``_init_model`` / ``_load_weights_to_model``: the config's model built
  without initial weights, the checkpoint loaded strictly after a class-count
  check, ``dataset_meta`` from the config's dataset and the checkpoint
  (:mod:`hp_mm.apis.model_init`), or the ONNX Runtime model;
- ``_init_pipeline``: the config's test pipeline without annotation loaders,
  the checked image loader first (:func:`~hp_mm.apis.pipeline.build_inference_pipeline`);
- ``_init_collate``: the config's ``test_dataloader.collate_fn``, else
  ``pseudo_collate``;
- ``_inputs_to_list`` / ``preprocess``: files, folders, arrays, lists and
  videos, read lazily; an input that cannot be read or packed is recorded and
  skipped; chunks of one input shape (mmseg's data preprocessor stacks only
  equal-size test images);
- ``forward``: ``model.test_step`` (``BaseInferencer``'s);
- ``visualize``: the subclass's drawing (:meth:`_draw`), written as
  ``image | drawing`` under ``img_out_dir``;
- ``postprocess``: each prediction converted and its files written by the
  subclass (:meth:`_convert`);
- ``__call__``: chunk by chunk, as mmdet's ``DetInferencer``, so that a folder
  or a video is never held in memory, with the failure records and the video
  output around it.
"""
import logging
import os.path as osp
from abc import abstractmethod
from functools import partial
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.device import get_device
from mmengine.infer import BaseInferencer
from mmengine.logging import print_log
from mmengine.registry import FUNCTIONS, DefaultScope

from hp_mm.evaluation.submission_writers import write_side_by_side
from hp_mm.visualization import ParsingLocalVisualizer
from ..image_io import check_bgr_image, read_image
from ..model_init import (BACKENDS, build_backend_model, build_model, load_weights,
                          read_checkpoint)
from ..pipeline import build_inference_pipeline, same_shape_chunks
from .inputs import InputsType, input_records, is_single_input
from .utils import resolve_config
from .video import VideoFrames, VideoSink
from .visualizer import build_inference_visualizer


class BaseHPMMInferencer(BaseInferencer):
    """Base of :class:`HumanParsingInferencer`, :class:`MultiHumanParsingInferencer` and
    :class:`ReIDInferencer`.

    Inputs (``__call__``'s ``inputs``): an image file, a folder (its images,
    recursively, sorted), a BGR array (H, W, 3), a list of files and arrays,
    or one video file (every frame; the drawings go to a video of the same
    frame rate under ``out_dir``).

    ``__call__`` returns a dict:

    - ``predictions``: one per processed input (see the subclass);
    - ``visualization``: the RGB drawings (with ``return_vis=True``), else ``[]``;
    - ``names``: the name of each processed input (file stem, relative path
      with ``_`` for separators for folders, ``'<index:08d>'`` for arrays,
      ``'<video stem>_<frame:06d>'`` for video frames);
    - ``failures``: ``{'input': file or name, 'error': reason}`` for every
      input that could not be processed (and was skipped);
    - ``video``: ``input``, ``out_file``, ``frames``, ``fps`` (video input).

    A single image (one path or one array, not in a list) gives its
    prediction and drawing directly instead of one-element lists, as mmseg's
    Inferencer, and raises if it cannot be processed.

    Args:
        model (str | Config): Config path, model name of ``model-index.yml``,
            config stem or ``'pkg::path.py'``.
        weights (str, optional): Checkpoint (the ``.onnx`` file for
            ``backend='onnxruntime'``); else the metafile's weights, else
            random weights (with a warning).
        device (str, optional): ``'cpu'``, ``'cuda:0'``...; default: CUDA if
            available.
        cfg_options (dict, optional): Config overrides (``key.sub=value``).
        show_progress (bool): Show a progress bar. Defaults to False.
        backend (str): ``'pytorch'`` or ``'onnxruntime'`` (the model from
            ``hp_mm.deploy.build_ort_model``). Defaults to ``'pytorch'``.
    """

    preprocess_kwargs: set = set()
    forward_kwargs: set = set()
    visualize_kwargs: set = {'return_vis', 'show', 'wait_time', 'opacity', 'with_labels',
                             'img_out_dir'}
    postprocess_kwargs: set = {'pred_out_dir'}
    #: Where the drawings of ``out_dir`` go: sub-folder, file suffix, video suffix.
    vis_subdir: str = ''
    vis_suffix: str = '_overlay'
    video_suffix: str = '_vis'

    def __init__(self,
                 model: Union[str, Config],
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 cfg_options: Optional[dict] = None,
                 show_progress: bool = False,
                 backend: str = 'pytorch') -> None:
        if backend not in BACKENDS:
            raise ValueError(f'backend must be one of {BACKENDS}, got {backend!r}')
        self.backend = backend
        self.cfg_options = dict(cfg_options or {})
        self.weights = weights
        self.device = device or get_device()
        with DefaultScope.overwrite_default_scope('hp_mm'):
            super().__init__(model=model, weights=weights, device=self.device, scope='hp_mm',
                             show_progress=show_progress)

    # --------------------------------------------------------------- building
    def _load_model_from_metafile(self, model: str) -> Tuple[Config, Optional[str]]:
        """A model name of ``model-index.yml``, a config stem or ``'pkg::path.py'``."""
        return resolve_config(model, self.scope)

    def _init_model(self, cfg: Config, weights: Optional[str], device: str = 'cpu'):
        """The model of ``cfg`` (with ``cfg_options`` merged) and its weights, in eval mode."""
        if self.cfg_options:
            cfg.merge_from_dict(self.cfg_options)
        self.weights = weights
        if self.backend == 'onnxruntime':
            return build_backend_model(cfg, weights, device)
        model = build_model(cfg)
        self._load_weights_to_model(model, None if weights is None else read_checkpoint(weights),
                                    cfg)
        return model.to(device).eval()

    def _load_weights_to_model(self, model, checkpoint: Optional[dict], cfg: Config) -> None:
        """:func:`~hp_mm.apis.model_init.load_weights`: class-count check, strict load,
        ``dataset_meta``."""
        load_weights(model, checkpoint, cfg, source=self.weights)

    def _init_pipeline(self, cfg: Config) -> Callable:
        """:func:`~hp_mm.apis.pipeline.build_inference_pipeline`."""
        return build_inference_pipeline(cfg)

    def _init_collate(self, cfg: Config) -> Callable:
        """The config's ``test_dataloader.collate_fn`` (name or dict), else ``pseudo_collate``."""
        collate = (cfg.get('test_dataloader') or {}).get('collate_fn')
        if collate is None:
            return pseudo_collate
        name = collate['type'] if isinstance(collate, dict) else collate
        with FUNCTIONS.switch_scope_and_registry(self.scope) as registry:
            function = registry.get(name) if isinstance(name, str) else name
        if function is None:
            raise KeyError(f'test_dataloader.collate_fn {name!r} is not a registered function')
        options = {k: v for k, v in collate.items() if k != 'type'} \
            if isinstance(collate, dict) else {}
        return partial(function, **options) if options else function

    def _init_visualizer(self, cfg: Config) -> ParsingLocalVisualizer:
        """:func:`~hp_mm.apis.inferencers.visualizer.build_inference_visualizer`: the config's
        parsing visualizer (else a default one), no vis backend, the model's classes."""
        return build_inference_visualizer(cfg, getattr(self.model, 'dataset_meta', None),
                                          str(id(self)))

    # ----------------------------------------------------------------- inputs
    def _inputs_to_list(self, inputs: InputsType) -> Union[List[dict], VideoFrames]:
        """:func:`~hp_mm.apis.inferencers.inputs.input_records`."""
        return input_records(inputs)

    def _sample_fields(self, record: dict, **kwargs) -> dict:
        """Fields added to an input's pipeline sample besides ``img`` / ``img_path``."""
        return {}

    def _pack(self, record: dict, **kwargs) -> dict:
        """The record with ``img`` read (checked) and ``packed`` (the pipeline's output:
        ``inputs`` (3, H, W), ``data_samples`` with metainfo ``input_name``), or
        ``error``, the exception that stopped it."""
        try:
            if record['img'] is None:
                record['img'] = read_image(record['path'])
            check_bgr_image(record['img'], record['path'] or record['name'])
            packed = self.pipeline(dict(img=record['img'], img_path=record['path'],
                                        **self._sample_fields(record, **kwargs)))
            packed['data_samples'].set_metainfo(dict(input_name=record['name']))
            if record['path']:
                packed['data_samples'].set_metainfo(dict(img_path=record['path']))
            record['packed'] = packed
        except Exception as e:  # noqa: BLE001 (recorded; the caller raises for a single input)
            record['error'] = e
        return record

    def preprocess(self, inputs: Iterable[dict], batch_size: int = 1,
                   **kwargs) -> Iterator[Tuple[List[dict], Optional[dict]]]:
        """Pack each input; collate chunks of at most ``batch_size`` inputs of one shape.

        Yields:
            tuple[list[dict], dict | None]: The chunk's records (failed ones
            carry ``error``) and the collated batch of the others (None if
            none).
        """
        packed = (self._pack(record, **kwargs) for record in inputs)
        for records in self._get_chunk_data(packed, batch_size):
            good = [r['packed'] for r in records if 'error' not in r]
            yield records, (self.collate_fn(good) if good else None)

    def _get_chunk_data(self, inputs: Iterable[dict], chunk_size: int) -> Iterator[List[dict]]:
        return same_shape_chunks(
            inputs, chunk_size,
            lambda r: None if 'error' in r else tuple(r['packed']['inputs'].shape))

    # ---------------------------------------------------------------- forward
    def _predict_chunk(self, records: List[dict], data: Optional[dict], forward_kwargs: dict,
                       failures: List[dict], single: bool) -> Tuple[List[dict], list]:
        """Forward a chunk; if it fails, each input alone (the failing ones recorded).

        Returns:
            tuple[list[dict], list]: The records predicted and their predictions.
        """
        for record in records:
            if 'error' in record:
                self._fail(record, record['error'], failures, single)
        good = [r for r in records if 'error' not in r]
        if not good:
            return [], []
        try:
            return good, list(self.forward(data, **forward_kwargs))
        except Exception as e:  # noqa: BLE001 (any model error: retry alone, then record)
            if len(good) == 1:
                self._fail(good[0], e, failures, single)
                return [], []
        done, preds = [], []
        for record in good:
            ok, pred = self._predict_chunk([record], self.collate_fn([record['packed']]),
                                           forward_kwargs, failures, single)
            done, preds = done + ok, preds + pred
        return done, preds

    @staticmethod
    def _fail(record: dict, error: Exception, failures: List[dict], single: bool) -> None:
        if single:
            raise error
        failures.append(dict(input=record.get('path') or record['name'],
                             error=f'{type(error).__name__}: {error}'))

    # -------------------------------------------------------------- visualize
    @abstractmethod
    def _draw(self, image: np.ndarray, pred, with_labels: bool) -> Optional[np.ndarray]:
        """The RGB drawing (H, W, 3) of one prediction on its RGB image, or None."""

    def visualize(self,
                  inputs: List[dict],
                  preds: list,
                  return_vis: bool = False,
                  show: bool = False,
                  wait_time: float = 0,
                  opacity: Optional[float] = None,
                  with_labels: bool = True,
                  img_out_dir: str = '') -> Optional[List[Optional[np.ndarray]]]:
        """Draw a chunk's predictions (RGB) if they are returned, shown or written.

        Args:
            inputs (list[dict]): The chunk's records (``img`` BGR, ``name``).
            preds (list): Their predictions.
            return_vis (bool): Return the drawings.
            show (bool): Show each drawing in a window.
            wait_time (float): Show time (s).
            opacity (float, optional): Part colour opacity (the visualizer's
                ``alpha``).
            with_labels (bool): Draw the legend of the classes present.
            img_out_dir (str): Write ``<name><vis_suffix>.jpg`` (the image and
                its drawing side by side) here; '' writes nothing.

        Returns:
            list | None: The RGB drawings (H, W, 3) (None for a prediction
            with nothing to draw), or None when nothing was asked.
        """
        if not (return_vis or show or img_out_dir):
            return None
        if opacity is not None:
            self.visualizer.alpha = float(opacity)
        drawings = []
        for record, pred in zip(inputs, preds):
            drawing = self._draw(mmcv.bgr2rgb(record['img']), pred, with_labels)
            if drawing is not None and show:
                self.visualizer.show(drawing, win_name=record['name'], wait_time=wait_time)
            if drawing is not None and img_out_dir:
                write_side_by_side(osp.join(img_out_dir, f'{record["name"]}{self.vis_suffix}.jpg'),
                                   record['img'], mmcv.rgb2bgr(drawing))
            drawings.append(drawing)
        return drawings

    # ------------------------------------------------------------ postprocess
    @abstractmethod
    def _convert(self, pred, pred_out_dir: str) -> Any:
        """One prediction in plain Python (see the subclass); its files under
        ``pred_out_dir`` ('' writes nothing)."""

    def postprocess(self,
                    preds: list,
                    visualization: Optional[list] = None,
                    return_datasamples: bool = False,
                    pred_out_dir: str = '') -> dict:
        """Write each prediction's files (:meth:`_convert`) and convert the predictions.

        Returns:
            dict: ``predictions`` (converted, or the data samples with
            ``return_datasamples``) and ``visualization``.
        """
        results = [self._convert(pred, pred_out_dir) for pred in preds]
        return dict(predictions=preds if return_datasamples else results,
                    visualization=visualization)

    # ------------------------------------------------------------------- call
    def __call__(self,
                 inputs: InputsType,
                 return_datasamples: bool = False,
                 batch_size: int = 1,
                 out_dir: str = '',
                 **kwargs) -> Dict[str, Any]:
        """Run the Inferencer on ``inputs`` (see the class doc for inputs and outputs).

        Args:
            inputs: Image path, folder, BGR array, list of paths / arrays, or
                a video file.
            return_datasamples (bool): Return the model's data samples as
                predictions. Defaults to False.
            batch_size (int): Inputs per forward pass. Defaults to 1.
            out_dir (str): Write the drawings (``img_out_dir``: ``out_dir`` /
                ``vis_subdir``; a video's to one video there) and the
                prediction files (``pred_out_dir``: ``out_dir``); '' writes
                nothing.
            **kwargs: ``preprocess_kwargs``, ``forward_kwargs``,
                ``visualize_kwargs`` and ``postprocess_kwargs``.

        Returns:
            dict: ``predictions``, ``visualization``, ``names``, ``failures``
            (and ``video`` for a video).
        """
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        pre_kw, fwd_kw, vis_kw, post_kw = self._dispatch_kwargs(**kwargs)
        single = is_single_input(inputs)
        records = self._inputs_to_list(inputs)
        video = records if isinstance(records, VideoFrames) else None
        sink = VideoSink(osp.join(out_dir, self.vis_subdir, f'{video.stem}{self.video_suffix}.mp4'),
                         video.fps) if video is not None and out_dir else None
        if out_dir:
            vis_kw.setdefault('img_out_dir', '' if video else osp.join(out_dir, self.vis_subdir))
            post_kw.setdefault('pred_out_dir', out_dir)
        if video is not None and vis_kw.get('show'):
            vis_kw['wait_time'] = 1e-5
        return_vis = vis_kw.pop('return_vis', False)
        results = dict(predictions=[], visualization=[], names=[], failures=[])
        chunks = self.preprocess(records, batch_size=batch_size, **pre_kw)
        if self.show_progress:
            from rich.progress import track
            chunks = track(chunks, description='Inference')
        try:
            with DefaultScope.overwrite_default_scope(self.scope):
                for chunk, data in chunks:
                    done, preds = self._predict_chunk(chunk, data, fwd_kw, results['failures'],
                                                      single)
                    if not done:
                        continue
                    vis = self.visualize(done, preds, return_vis=return_vis or sink is not None,
                                         **vis_kw)
                    if sink is not None:
                        sink.write([v for v in vis if v is not None])
                    out = self.postprocess(preds, vis if return_vis else None, return_datasamples,
                                           **post_kw)
                    results['predictions'] += out['predictions']
                    results['visualization'] += out['visualization'] or []
                    results['names'] += [r['name'] for r in done]
        finally:
            if sink is not None:
                sink.close()
        if results['failures']:
            print_log(self.format_failures(results['failures']), logger='current',
                      level=logging.WARNING)
        if video is not None:
            results['video'] = dict(input=video.path, fps=video.fps,
                                    out_file=sink.out_file if sink and sink.frames else None,
                                    frames=sink.frames if sink else 0)
        if single:
            results['predictions'] = results['predictions'][0]
            results['visualization'] = results['visualization'][0] \
                if results['visualization'] else None
        return results

    @staticmethod
    def format_failures(failures: Sequence[dict]) -> str:
        """``'k input(s) failed and were skipped:'`` and one ``'  input: error'`` line each."""
        return f'{len(failures)} input(s) failed and were skipped:\n' + '\n'.join(
            f'  {f["input"]}: {f["error"]}' for f in failures)
