"""Single-person human parsing Inferencer (LIP-style parsers: one label map per image)."""
import numpy as np

from hp_mm.evaluation.submission_writers import write_lip_prediction
from hp_mm.registry import INFERENCERS
from .base_parsing_inferencer import BaseParsingInferencer


@INFERENCERS.register_module(name='human-parsing')
@INFERENCERS.register_module()
class HumanParsingInferencer(BaseParsingInferencer):
    """Parse whole images with a single-person parser (``ParsingEncoderDecoder``).

    The config's test pipeline (with its flip test, left/right labels swapped
    back, when ``model.test_cfg.flip``) and ``model.test_step``, as mmseg's
    ``MMSegInferencer``; see :class:`BaseHPMMInferencer` for inputs, failures,
    batches and videos, and :class:`BaseParsingInferencer` for ``label_set``.

    Examples:
        >>> inferencer = HumanParsingInferencer('fpn_r18_minihumans', 'iter_3000.pth')
        >>> out = inferencer('photos/', batch_size=4, out_dir='outputs/')
        >>> out['failures']            # [{'input': 'photos/bad.jpg', 'error': 'OSError: ...'}]
        >>> out = inferencer('walk.mp4', out_dir='outputs/')   # outputs/walk_vis.mp4

    Predictions: the label map (H, W) int64 of each image (a
    ``SegDataSample`` with ``pred_sem_seg`` (1, H, W) and ``seg_logits`` (C, H,
    W) with ``return_datasamples=True``).

    Files under ``out_dir``: ``<name>.png`` (8-bit labels,
    :func:`~hp_mm.evaluation.submission_writers.write_lip_prediction`) and
    ``<name>_overlay.jpg`` (image | drawing); for a video, the labels of each
    frame ``<video>_<frame:06d>.png`` and the drawings in ``<video>_vis.mp4``.

    Args:
        model (str | Config): Config path, model name or config stem (e.g.
            ``'fpn_r18_minihumans'``).
        weights (str, optional): Checkpoint.
        device (str, optional): Device; default CUDA if available.
        cfg_options (dict, optional): Config overrides, e.g.
            ``{'model.test_cfg.flip': False}``.
        show_progress (bool): Progress bar. Defaults to False.
        backend (str): ``'pytorch'`` or ``'onnxruntime'``.
        label_set (str, optional): Convert the predictions to this label set.
        src_label_set (str, optional): The model's label set.
    """

    def _draw(self, image: np.ndarray, pred, with_labels: bool) -> np.ndarray:
        return self.visualizer.draw_parsing(image, pred.pred_sem_seg, None, with_labels)

    def _convert(self, pred, pred_out_dir: str) -> np.ndarray:
        """The label map (H, W) int64; ``<pred_out_dir>/<name>.png`` (8-bit)."""
        label = pred.pred_sem_seg.data[0].cpu().numpy()
        if pred_out_dir:
            write_lip_prediction(pred_out_dir, pred.input_name, label)
        return label
