"""QAM re-scoring of an mmdet instance-segmentation model's masks (QANet paper, Sec. 4.4, Table 7).

QANet's Quality-Aware Module is a post-processing step, so it applies to any
model that predicts a box score and a mask probability map per instance. For
Mask R-CNN the paper fuses the box (classification) score ``S_b`` with the
mask's pixel score ``S_p`` with the quality weights ``(1.0, 0.0, 1.0)``:
``S_q = (S_b^1 * S_i^0 * S_p^1)^(1/2) = sqrt(S_b * S_p)`` (Mask R-CNN has no
IoU branch; weight 0 ignores it).

The pixel score is hp_mm's :func:`hp_mm.models.utils.pixel_score` (QANet
Algorithm 1) on the two-class map ``[1 - p, p]`` of the mask probability
``p``: its category score of the foreground, i.e. the mean of ``p`` over the
pixels predicted foreground (``p > 1 - p``) whose confidence is ``>= T``
(``T = 0.2``). The paper's text does not spell out this binary adaptation
(its footnote points to code); this is the direct reading of Algorithm 1 for
one foreground class (an instance whose mask has no foreground pixel scores 0).

This module is imported through a config's ``custom_imports`` and uses hp_mm
from outside the package (only its public names).

Note:
    N: instances of an image. H, W: image height and width.
"""
from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModel
from mmengine.structures import InstanceData
from torch import Tensor

from hp_mm.models.utils import pixel_score, quality_score
from mmdet.registry import MODELS

# Table 7 of the QANet paper: (alpha, beta, gamma) for Mask R-CNN / SOLOv2
MASK_QAM_WEIGHTS = (1.0, 0.0, 1.0)


def qam_mask_scores(mask_probs: Tensor,
                    box_scores: Tensor,
                    quality_weights: Sequence[float] = MASK_QAM_WEIGHTS,
                    pixel_score_thr: float = 0.2,
                    chunk_bytes: int = 1 << 28) -> Tuple[Tensor, Tensor]:
    """QAM quality scores of instance masks from their probabilities and box scores.

    ``S_p`` = foreground category pixel score of ``[1 - p, p]`` (see the
    module doc), ``S_q = quality_score(S_b, 1, S_p, quality_weights)``.

    Args:
        mask_probs (Tensor): Foreground probabilities ``p``, (N, H, W), in [0, 1].
        box_scores (Tensor): Box scores ``S_b``, (N,).
        quality_weights (Sequence[float]): ``(alpha, beta, gamma)`` of QANet
            Eq. 1; beta weighs the (absent, = 1) IoU score. Defaults to
            Table 7's (1.0, 0.0, 1.0).
        pixel_score_thr (float): QANet's high-confidence threshold T.
        chunk_bytes (int): Bytes of two-class maps built at a time.

    Returns:
        tuple[Tensor, Tensor]: Quality scores ``S_q`` (N,) and pixel scores
        ``S_p`` (N,), float32.
    """
    if mask_probs.dim() != 3 or box_scores.shape != mask_probs.shape[:1]:
        raise ValueError(f'mask_probs must be (N, H, W) and box_scores (N,), got '
                         f'{tuple(mask_probs.shape)} and {tuple(box_scores.shape)}')
    n, h, w = mask_probs.shape
    box_scores = box_scores.float()
    if n == 0:
        return box_scores.clone(), box_scores.clone()
    step = max(1, chunk_bytes // max(1, 2 * h * w * 4))
    pixel = []
    for i in range(0, n, step):
        p = mask_probs[i:i + step].float()
        _, category = pixel_score(torch.stack([1 - p, p], dim=1), pixel_score_thr)
        pixel.append(category[:, 0])
    s_p = torch.cat(pixel)
    s_q = quality_score(box_scores, torch.ones_like(box_scores), s_p, quality_weights)
    return s_q.float(), s_p.float()


@MODELS.register_module()
class QAMRescoredDetector(BaseModel):
    """Wrap an mmdet instance-segmentation detector; re-score its masks with QAM at test time.

    Training and ``'tensor'`` mode are the detector's. In ``predict`` the
    detector's mask head is asked for its probabilities (mmdet's
    ``mask_thr_binary = -1``: 8-bit probabilities ``round_down(255 p)``),
    the instances of the re-scored classes get ``scores = S_q``
    (:func:`qam_mask_scores`), and every mask is binarised at
    ``mask_thr_binary`` as the detector would. The prediction keeps
    ``det_scores`` (the detector's scores) and ``pixel_scores``.

    Checkpoints of the plain detector load as they are (their keys are
    mapped to ``detector.*``).

    Args:
        detector (dict): The mmdet detector config (a two-stage model whose
            ``roi_head.test_cfg`` has ``mask_thr_binary``, e.g. Mask R-CNN,
            Cascade Mask R-CNN).
        classes (Sequence[str], optional): Class names re-scored (looked up
            in ``dataset_meta['classes']``, else COCO's). Defaults to
            ``('person',)``; None re-scores every class (paper Table 7).
        quality_weights (Sequence[float]): QANet Eq. 1 weights.
        pixel_score_thr (float): QANet's T. Defaults to 0.2.
        mask_thr_binary (float): Mask binarisation threshold. Defaults to
            the detector's (mmdet's 0.5).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 detector: dict,
                 classes: Optional[Sequence[str]] = ('person', ),
                 quality_weights: Sequence[float] = MASK_QAM_WEIGHTS,
                 pixel_score_thr: float = 0.2,
                 mask_thr_binary: Optional[float] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.detector = MODELS.build(detector)
        self.data_preprocessor = self.detector.data_preprocessor
        test_cfg = getattr(getattr(self.detector, 'roi_head', None), 'test_cfg', None)
        if test_cfg is None or 'mask_thr_binary' not in test_cfg:
            raise TypeError(f'{type(self.detector).__name__} has no roi_head.test_cfg.'
                            'mask_thr_binary: QAMRescoredDetector needs a mask head that can '
                            'return probabilities (Mask R-CNN family)')
        self.mask_thr_binary = float(test_cfg.mask_thr_binary if mask_thr_binary is None
                                     else mask_thr_binary)
        test_cfg.mask_thr_binary = -1  # the mask head returns 8-bit probabilities
        self.classes = None if classes is None else tuple(classes)
        self.quality_weights = tuple(float(w) for w in quality_weights)
        self.pixel_score_thr = float(pixel_score_thr)
        self._register_load_state_dict_pre_hook(self._detector_keys)

    @staticmethod
    def _detector_keys(state_dict, prefix, *args) -> None:
        """Map a plain detector checkpoint's keys ``k`` to ``detector.k`` (in place)."""
        inner = prefix + 'detector.'
        for key in [k for k in state_dict if k.startswith(prefix) and not k.startswith(inner)]:
            state_dict[inner + key[len(prefix):]] = state_dict.pop(key)

    def rescored_labels(self) -> Optional[List[int]]:
        """Label indices of ``classes`` (None: all), from the dataset meta or COCO's."""
        if self.classes is None:
            return None
        meta = getattr(self, 'dataset_meta', None) or \
            getattr(self.detector, 'dataset_meta', None) or {}
        names = meta.get('classes')
        if not names:
            from mmdet.datasets import CocoDataset
            names = CocoDataset.METAINFO['classes']
        lowered = [str(c).lower() for c in names]
        missing = [c for c in self.classes if c.lower() not in lowered]
        if missing:
            raise ValueError(f'classes {missing} are not among the detector classes '
                             f'{list(names)[:10]}...')
        return [lowered.index(c.lower()) for c in self.classes]

    def forward(self, inputs: Tensor, data_samples=None, mode: str = 'tensor'):
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        return self.detector(inputs, data_samples, mode)

    def predict(self, inputs: Tensor, data_samples, rescale: bool = True):
        """The detector's prediction with QAM scores (see the class doc)."""
        results = self.detector.predict(inputs, data_samples, rescale=rescale)
        labels = self.rescored_labels()
        for sample in results:
            sample.pred_instances = self.rescore(sample.pred_instances, labels)
        return results

    def rescore(self, instances: InstanceData, labels: Optional[List[int]] = None) -> InstanceData:
        """Re-score one image's instances whose masks are 8-bit probabilities.

        Args:
            instances (InstanceData): ``scores`` (N,), ``labels`` (N,),
                ``masks`` (N, H, W) uint8 ``255 p``.
            labels (list[int], optional): Labels re-scored; None: all.

        Returns:
            InstanceData: ``scores`` (QAM for the re-scored labels),
            ``det_scores``, ``pixel_scores`` (N,), ``masks`` (N, H, W) bool.
        """
        probs = instances.masks.float() / 255.0
        s_q, s_p = qam_mask_scores(probs, instances.scores, self.quality_weights,
                                   self.pixel_score_thr)
        chosen = torch.ones_like(instances.labels, dtype=torch.bool) if labels is None else \
            torch.isin(instances.labels, torch.as_tensor(labels, device=instances.labels.device))
        instances.det_scores = instances.scores.clone()
        instances.pixel_scores = s_p
        instances.scores = torch.where(chosen, s_q.to(instances.scores), instances.scores)
        instances.masks = probs >= self.mask_thr_binary
        return instances
