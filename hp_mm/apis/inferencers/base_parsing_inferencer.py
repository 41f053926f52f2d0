"""The common part of hp_mm's Inferencers: inputs, failures, batches, drawing, videos.

Follows mmengine's ``BaseInferencer`` (``preprocess`` -> ``forward`` ->
``visualize`` -> ``postprocess``) as mmseg's ``MMSegInferencer`` does, with
mmpose's ``BaseMMPoseInferencer`` handling of folders and videos, and two
additions:

- the inputs are streamed batch by batch (a folder or a video is never held in
  memory at once);
- an input that cannot be read (a truncated JPEG, a file that is not an image)
  or fails in the model is skipped and recorded: the run goes on, and the
  result's ``failures`` names every failed input and why (the tools then exit
  non-zero). A single image given alone raises instead.
"""
import copy
import logging
import os.path as osp
from abc import abstractmethod
from datetime import datetime
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import cv2
import mmcv
import numpy as np
from mmengine.config import Config
from mmengine.infer import BaseInferencer
from mmengine.logging import print_log
from mmengine.utils import mkdir_or_exist

from hp_mm.registry import VISUALIZERS
from hp_mm.visualization import ParsingLocalVisualizer
from ..parsing_inference import list_images, read_image
from .utils import is_video, resolve_config

InputType = Union[str, np.ndarray]
InputsType = Union[InputType, Sequence[InputType]]


class BaseParsingInferencer(BaseInferencer):
    """Base of :class:`HumanParsingInferencer` and :class:`MultiHumanParsingInferencer`.

    Inputs (``__call__``'s ``inputs``): an image file, a folder (its images,
    recursively, sorted), a BGR array (H, W, 3), a list of files and arrays,
    or one video file (every frame; the overlays go to a video of the same
    frame rate under ``out_dir``).

    ``__call__`` returns a dict:

    - ``predictions``: one per processed input (see the subclass);
    - ``visualization``: the RGB drawings (with ``return_vis=True``), else ``[]``;
    - ``names``: the name of each processed input (file stem, relative path
      for folders, ``'<index:08d>'`` for arrays, ``'<video stem>_<frame:06d>'``
      for video frames);
    - ``failures``: a list of ``{'input': name, 'error': reason}`` for every
      input that could not be processed (and skipped);
    - ``video``: the written overlay video (video input with ``out_dir``).

    A single image (one path or one array, not in a list) gives its
    prediction and drawing directly instead of one-element lists, as mmseg's
    Inferencer, and raises if it cannot be processed.

    Args:
        model (str | Config): Config path, model name of a
            ``configs/*/metafile.yaml`` or config stem (see
            :func:`~hp_mm.apis.inferencers.utils.resolve_config`).
        weights (str, optional): Checkpoint; else the metafile's weights,
            else random weights (with a warning).
        device (str, optional): ``'cpu'``, ``'cuda:0'``...; default: CUDA if
            available.
        cfg_options (dict, optional): Config overrides (``key.sub=value``).
        show_progress (bool): Show a progress bar. Defaults to False.
    """

    preprocess_kwargs: set = set()
    forward_kwargs: set = set()
    visualize_kwargs: set = {'return_vis', 'show', 'wait_time', 'opacity', 'with_labels'}
    postprocess_kwargs: set = set()

    def __init__(self,
                 model: Union[str, Config],
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 cfg_options: Optional[dict] = None,
                 show_progress: bool = False) -> None:
        cfg, meta_weights = resolve_config(model)
        cfg = copy.deepcopy(cfg)  # the caller's Config stays as it is
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        self._video_info: Optional[dict] = None
        super().__init__(model=cfg, weights=weights or meta_weights, device=device,
                         scope='hp_mm', show_progress=show_progress)

    # --------------------------------------------------------------- building
    def _init_pipeline(self, cfg: Config) -> Any:
        """The apis functions build the test pipelines (files and arrays alike)."""
        return None

    def _init_collate(self, cfg: Config) -> Any:
        """The apis functions collate their batches."""
        return None

    def _init_visualizer(self, cfg: Config) -> ParsingLocalVisualizer:
        """The config's visualizer if it is a :class:`ParsingLocalVisualizer`, else a default one.

        Drawings are written by the Inferencer, so no vis backend is kept.
        """
        vis_cfg = dict(cfg.get('visualizer') or {})
        vis_type = vis_cfg.get('type', 'ParsingLocalVisualizer')
        vis_cls = VISUALIZERS.get(vis_type) if isinstance(vis_type, str) else vis_type
        if vis_cls is None or not issubclass(vis_cls, ParsingLocalVisualizer):
            if vis_cls is not None:
                print_log(f'the config visualizer {vis_type} cannot draw persons: using '
                          'ParsingLocalVisualizer', logger='current', level=logging.WARNING)
            vis_cfg = dict(type='ParsingLocalVisualizer', alpha=vis_cfg.get('alpha', 0.6))
        vis_cfg.setdefault('type', 'ParsingLocalVisualizer')
        vis_cfg['vis_backends'] = None
        vis_cfg.pop('save_dir', None)
        # a visualizer of its own (the registry returns an existing instance of that name)
        vis_cfg['name'] = f'{vis_cfg.get("name", "visualizer")}-inferencer-{id(self)}-' \
            f'{datetime.timestamp(datetime.now())}'
        visualizer = VISUALIZERS.build(vis_cfg)
        meta = getattr(self.model, 'dataset_meta', None) or {}
        visualizer.set_dataset_meta(meta.get('classes'), meta.get('palette'))
        return visualizer

    # ----------------------------------------------------------------- inputs
    def _inputs_to_list(self, inputs: InputsType) -> Tuple[Iterable[dict], bool]:
        """Input records ``{'name', 'path', 'img'}`` (lazy for videos) and whether single.

        Raises:
            FileNotFoundError: A path that is neither a file nor a folder, or
                a folder without images.
        """
        self._video_info = None
        if isinstance(inputs, np.ndarray):
            return [dict(name=f'{0:08d}', path=None, img=inputs)], True
        if isinstance(inputs, str):
            if osp.isdir(inputs):
                files = list_images(inputs)
                return [dict(name=osp.splitext(osp.relpath(f, inputs))[0].replace(osp.sep, '_'),
                             path=f, img=None) for f in files], False
            if is_video(inputs):
                return self._video_frames(inputs), False
            if not osp.exists(inputs):
                raise FileNotFoundError(f'input {inputs} is neither a file nor a folder')
            return [dict(name=osp.splitext(osp.basename(inputs))[0], path=inputs, img=None)], True
        if isinstance(inputs, (list, tuple)):
            records = []
            for i, x in enumerate(inputs):
                if isinstance(x, np.ndarray):
                    records.append(dict(name=f'{i:08d}', path=None, img=x))
                elif isinstance(x, str):
                    records.append(dict(name=osp.splitext(osp.basename(x))[0], path=x, img=None))
                else:
                    raise TypeError(f'input {i} must be an image path or a BGR array, got '
                                    f'{type(x).__name__}')
            return records, False
        raise TypeError(f'inputs must be a path, a BGR array or a list of them, got '
                        f'{type(inputs).__name__}')

    def _video_frames(self, path: str) -> Iterator[dict]:
        reader = mmcv.VideoReader(path)
        if not reader.vcap.isOpened():
            raise OSError(f'{path}: cannot open the video')
        fps = reader.fps if reader.fps and reader.fps > 0 else 25.0
        stem = osp.splitext(osp.basename(path))[0]
        self._video_info = dict(path=path, name=stem, fps=fps, writer=None, out_file=None,
                                frames=0)

        def frames():
            for i, frame in enumerate(reader):
                yield dict(name=f'{stem}_{i:06d}', path=None, img=frame, frame=i)

        return frames()

    def preprocess(self, inputs: Iterable[dict], batch_size: int = 1,
                   **kwargs) -> Iterator[List[dict]]:
        """Read the images of each batch; unreadable ones are recorded and skipped.

        Yields:
            list[dict]: Up to ``batch_size`` records with ``img`` (H, W, 3) BGR.
        """
        batch = []
        for record in inputs:
            if record['img'] is None:
                try:
                    record['img'] = read_image(record['path'])
                except (OSError, ValueError) as e:
                    self._fail(record, e)
                    continue
            img = record['img']
            if not (isinstance(img, np.ndarray) and img.ndim == 3 and img.shape[2] == 3):
                self._fail(record, ValueError(f'expected a BGR array (H, W, 3), got shape '
                                              f'{getattr(img, "shape", None)}'))
                continue
            batch.append(record)
            if len(batch) == batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _fail(self, record: dict, error: Exception) -> None:
        if self._single:
            raise error
        self.failures.append(dict(input=record.get('path') or record['name'],
                                  error=f'{type(error).__name__}: {error}'))

    # ---------------------------------------------------------------- forward
    @abstractmethod
    def _forward_batch(self, imgs: List[np.ndarray], **kwargs) -> list:
        """The model's predictions (SegDataSample) of a batch of BGR images."""

    def forward(self, batch: List[dict], **kwargs) -> List[Tuple[dict, Any]]:
        """Predict a batch; if it fails, each input alone (the failing ones are recorded).

        Returns:
            list[tuple[dict, SegDataSample]]: The records predicted and their
            predictions (``img_path`` set for files).
        """
        try:
            preds = self._forward_batch([r['img'] for r in batch], **kwargs)
            pairs = list(zip(batch, preds))
        except Exception as e:  # noqa: BLE001 (any model error: retry alone, then record)
            if len(batch) == 1:
                self._fail(batch[0], e)
                return []
            pairs = []
            for record in batch:
                pairs += self.forward([record], **kwargs)
            return pairs
        for record, pred in pairs:
            if record.get('path'):
                pred.set_metainfo(dict(img_path=record['path']))
        return pairs

    # -------------------------------------------------------------- visualize
    def _draw(self, img_rgb: np.ndarray, pred, with_labels: bool) -> np.ndarray:
        """RGB drawing of one prediction (subclasses may choose the persons shown)."""
        return self.visualizer.draw_parsing(img_rgb, pred.get('pred_sem_seg'),
                                            pred.get('pred_instances'), with_labels)

    def visualize(self,
                  pairs: List[Tuple[dict, Any]],
                  return_vis: bool = False,
                  show: bool = False,
                  wait_time: float = 0,
                  opacity: Optional[float] = None,
                  with_labels: bool = True,
                  needed: bool = False) -> Optional[List[np.ndarray]]:
        """Draw the predictions of a batch (RGB), if they are returned, shown or saved.

        Args:
            pairs (list): ``(record, prediction)`` from :meth:`forward`.
            return_vis (bool): Return the drawings.
            show (bool): Show each drawing in a window.
            wait_time (float): Show time (s).
            opacity (float, optional): Part colour opacity (the visualizer's
                ``alpha``).
            with_labels (bool): Draw the legend of the classes present.
            needed (bool): Draw even if not returned or shown (to save them).

        Returns:
            list[np.ndarray] | None: The RGB drawings, (H, W, 3) each.
        """
        if not (return_vis or show or needed):
            return None
        if opacity is not None:
            self.visualizer.alpha = float(opacity)
        drawn = []
        for record, pred in pairs:
            vis = self._draw(mmcv.bgr2rgb(record['img']), pred, with_labels)
            if show:
                self.visualizer.show(vis, win_name=record['name'],
                                     wait_time=1e-5 if self._video_info else wait_time)
            drawn.append(vis)
        return drawn

    # ------------------------------------------------------------ postprocess
    @abstractmethod
    def _prediction(self, pred) -> Any:
        """The returned form of one prediction (without ``return_datasamples``)."""

    @abstractmethod
    def _save(self, record: dict, pred, vis: Optional[np.ndarray], out_dir: str,
              video_frame: bool, **kwargs) -> None:
        """Write one prediction under ``out_dir`` (the apis' save functions)."""

    def postprocess(self,
                    pairs: List[Tuple[dict, Any]],
                    visualization: Optional[List[np.ndarray]],
                    return_datasamples: bool = False,
                    out_dir: str = '',
                    **kwargs) -> List[Any]:
        """Save a batch's results under ``out_dir`` and convert its predictions.

        Images: the subclass's files (the apis' save functions). Video frames:
        the same files but the drawing, which goes to one ``.mp4`` video.

        Returns:
            list: The batch's predictions (data samples with
            ``return_datasamples``).
        """
        if out_dir:
            for i, (record, pred) in enumerate(pairs):
                vis = visualization[i] if visualization is not None else None
                frame = self._video_info is not None
                self._save(record, pred, vis, out_dir, frame, **kwargs)
                if frame:
                    self._write_video_frame(vis, out_dir)
        return [pred if return_datasamples else self._prediction(pred) for _, pred in pairs]

    def _video_out_file(self, out_dir: str) -> str:
        return osp.join(out_dir, f'{self._video_info["name"]}_vis.mp4')

    def _write_video_frame(self, vis_rgb: np.ndarray, out_dir: str) -> None:
        info = self._video_info
        frame = mmcv.rgb2bgr(vis_rgb)
        if info['writer'] is None:
            info['out_file'] = self._video_out_file(out_dir)
            mkdir_or_exist(osp.dirname(info['out_file']))
            info['writer'] = cv2.VideoWriter(info['out_file'], cv2.VideoWriter_fourcc(*'mp4v'),
                                             info['fps'], (frame.shape[1], frame.shape[0]))
            if not info['writer'].isOpened():
                raise OSError(f'cannot write the video {info["out_file"]} (mp4v codec)')
            info['size'] = frame.shape[:2]
        if frame.shape[:2] != info['size']:
            frame = mmcv.imresize(frame, info['size'][::-1])
        info['writer'].write(frame)
        info['frames'] += 1

    # ------------------------------------------------------------------- call
    def __call__(self,
                 inputs: InputsType,
                 return_datasamples: bool = False,
                 batch_size: int = 1,
                 out_dir: str = '',
                 **kwargs) -> Dict[str, Any]:
        """Run the whole pipeline on ``inputs`` (see the class doc for inputs and outputs).

        Args:
            inputs: Image path, folder, BGR array, list of paths / arrays, or
                a video file.
            return_datasamples (bool): Return ``SegDataSample``s as
                predictions. Defaults to False.
            batch_size (int): Images per forward pass. Defaults to 1.
            out_dir (str): Where to write the results; '' writes nothing.
            **kwargs: ``visualize_kwargs`` (``return_vis``, ``show``,
                ``wait_time``, ``opacity``, ``with_labels``) and the
                subclass's ``forward_kwargs`` / ``postprocess_kwargs``.

        Returns:
            dict: ``predictions``, ``visualization``, ``names``,
            ``failures`` (and ``video`` for a video with ``out_dir``).
        """
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        _, forward_kwargs, visualize_kwargs, postprocess_kwargs = self._dispatch_kwargs(**kwargs)
        self.failures: List[dict] = []
        self._single = False
        records, self._single = self._inputs_to_list(inputs)
        predictions, visualization, names = [], [], []
        batches = self.preprocess(records, batch_size=batch_size)
        if self.show_progress:
            from rich.progress import track
            batches = track(batches, description='Inference')
        try:
            for batch in batches:
                pairs = self.forward(batch, **forward_kwargs)
                vis = self.visualize(pairs, needed=bool(out_dir), **visualize_kwargs)
                predictions += self.postprocess(pairs, vis, return_datasamples, out_dir,
                                                **postprocess_kwargs)
                names += [r['name'] for r, _ in pairs]
                if visualize_kwargs.get('return_vis') and vis is not None:
                    visualization += vis
        finally:
            video = self._finish_video()
        if self.failures:
            print_log(self.format_failures(self.failures), logger='current',
                      level=logging.WARNING)
        results = dict(predictions=predictions, visualization=visualization, names=names,
                       failures=self.failures)
        if video is not None:
            results['video'] = video
        if self._single:
            results['predictions'] = predictions[0]
            results['visualization'] = visualization[0] if visualization else None
        return results

    @staticmethod
    def format_failures(failures: Sequence[dict]) -> str:
        """``'k input(s) failed and were skipped:'`` and one ``'  input: error'`` line each."""
        return f'{len(failures)} input(s) failed and were skipped:\n' + '\n'.join(
            f'  {f["input"]}: {f["error"]}' for f in failures)

    def _finish_video(self) -> Optional[dict]:
        info = self._video_info
        if info is None:
            return None
        if info['writer'] is not None:
            info['writer'].release()
            print_log(f'wrote {info["frames"]} frames to {info["out_file"]}', logger='current')
        return dict(input=info['path'], out_file=info['out_file'], frames=info['frames'],
                    fps=info['fps'])

