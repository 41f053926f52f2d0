"""Single-person human parsing Inferencer (LIP-style parsers: one label map per image)."""
from typing import Optional, Union

import numpy as np
import torch.nn as nn
from mmengine.config import Config

from hp_mm.registry import INFERENCERS
from ..parsing_inference import inference_parser, init_parser, save_parsing_result
from .base_parsing_inferencer import BaseParsingInferencer


@INFERENCERS.register_module(name='human-parsing')
@INFERENCERS.register_module()
class HumanParsingInferencer(BaseParsingInferencer):
    """Parse whole images with a single-person parser (``ParsingEncoderDecoder``).

    The model is built by :func:`~hp_mm.apis.init_parser` (strict checkpoint
    loading, class-count checks, ``dataset_meta`` from the checkpoint) and run
    by :func:`~hp_mm.apis.inference_parser` (the config's test pipeline,
    flip test with left/right swap when ``model.test_cfg.flip``).

    Examples:
        >>> inferencer = HumanParsingInferencer('fpn_r18_minihumans', 'iter_3000.pth')
        >>> out = inferencer('photos/', batch_size=4, out_dir='outputs/')
        >>> out['failures']            # [{'input': 'photos/bad.jpg', 'error': 'OSError: ...'}]
        >>> out = inferencer('walk.mp4', out_dir='outputs/')   # outputs/walk_vis.mp4

    Predictions: the label map (H, W) int64 of each image (a
    ``SegDataSample`` with ``pred_sem_seg`` (1, H, W) and ``seg_logits`` (C, H,
    W) with ``return_datasamples=True``).

    Files under ``out_dir`` (:func:`~hp_mm.apis.save_parsing_result`):
    ``<name>.png`` (8-bit labels) and ``<name>_overlay.jpg`` (image | drawing);
    for a video, the labels of each frame ``<video>_<frame:06d>.png`` and the
    drawings in ``<video>_vis.mp4``.

    Args:
        model (str | Config): Config path, metafile model name or config
            stem (e.g. ``'fpn_r18_minihumans'``).
        weights (str, optional): Checkpoint.
        device (str, optional): Device; default CUDA if available.
        cfg_options (dict, optional): Config overrides, e.g.
            ``{'model.test_cfg.flip': False}``.
        show_progress (bool): Progress bar. Defaults to False.
    """

    def __init__(self,
                 model: Union[str, Config],
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 cfg_options: Optional[dict] = None,
                 show_progress: bool = False) -> None:
        super().__init__(model, weights, device, cfg_options, show_progress)

    def _init_model(self, cfg: Config, weights: Optional[str], device: str = 'cpu') -> nn.Module:
        return init_parser(cfg, weights, device=device)

    def _forward_batch(self, imgs, **kwargs) -> list:
        return inference_parser(self.model, list(imgs), batch_size=len(imgs))

    def _prediction(self, pred) -> np.ndarray:
        return pred.pred_sem_seg.data[0].cpu().numpy()

    def _save(self, record: dict, pred, vis, out_dir: str, video_frame: bool, **kwargs) -> None:
        save_parsing_result(record['img'], pred, self.visualizer.dataset_meta['palette'],
                            out_dir, name=record['name'], visualizer=self.visualizer,
                            overlay=vis, save_overlay=not video_frame)
