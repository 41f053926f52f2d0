"""Top-down multi-person parser (QANet): person crops in, per-person parsings out.

Yang et al., "Quality-Aware Network for Human Parsing" (QANet), Sec. 3 and
Fig. 3. Inference follows soeaver/QANet (snapshot ``61615c4``):
``qanet/core/test.py`` (flip test, l.201-255), ``qanet/modeling/parsing_head/
inference.py`` (paste-back, per-person label maps, pixel scores, l.84-133),
``qanet/datasets/evaluation.py`` (QAM scores, l.287-299) and
``lib/data/evaluation/parsing_eval.py`` ``generate_parsing_result`` (the
semantic map, l.608-627).

Note:
    B: images in the batch. N: persons in the batch (n of one image).
    C: parsing classes, background (0) included.
    H, W: image height and width. Ho, Wo: crop height and width
    (``test_cfg.input_size = (Wo, Ho)``).
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData, PixelData
from mmseg.models.utils import resize
from mmseg.utils import OptSampleList, SampleList
from torch import Tensor

from hp_mm.models.utils.quality_scores import pixel_score, quality_score
from hp_mm.models.utils.top_down_affine import (bbox_xyxy_to_center_scale, get_affine_matrix,
                                                paste_crops, warp_to_crops)
from hp_mm.registry import MODELS
from .parsing_encoder_decoder import ParsingEncoderDecoder, flip_label_permutation

# QANet pastes at most this many bytes of probabilities at a time
# (``parsing_head/inference.py`` l.88, ``GPU_MEM_LIMIT``).
PASTE_BYTES_LIMIT = 1024**3


def merge_person_parsings(parsings: Tensor, order_scores: Tensor,
                          score_thr: float = 0.3) -> Tensor:
    """Image-level category map from per-person label maps (QANet's global parsing).

    As ``lib/data/evaluation/parsing_eval.py`` l.621-627: persons whose
    ``order_scores`` (QANet: the box scores) is below ``score_thr``
    (``PARSING.SEMSEG_SCORE_THRESH = 0.3``) are skipped; the others are
    painted in ascending score order, each over its foreground
    (``parsing > 0``), so where persons overlap the highest-scoring one wins.
    Ties keep the input order (stable sort; the later person wins).

    Args:
        parsings (Tensor): Per-person label maps, shape (n, H, W), integer,
            0 = not this person.
        order_scores (Tensor): Shape (n,).
        score_thr (float): Persons below it are left out.

    Returns:
        Tensor: Category map, shape (H, W), int64, 0 where no person paints.
    """
    if parsings.dim() != 3 or order_scores.shape != parsings.shape[:1]:
        raise ValueError(f'parsings must be (n, H, W) and order_scores (n,), got '
                         f'{tuple(parsings.shape)} and {tuple(order_scores.shape)}')
    n, h, w = parsings.shape
    if n == 0:
        return parsings.new_zeros((h, w), dtype=torch.long)
    order = torch.sort(order_scores, stable=True).indices
    rank = torch.empty_like(order)
    rank[order] = torch.arange(1, n + 1, device=order.device)
    rank = torch.where(order_scores >= score_thr, rank, torch.zeros_like(rank))
    painted = (parsings > 0) * rank[:, None, None].to(torch.int32)  # (n, H, W)
    best, winner = painted.max(0)
    merged = parsings.gather(0, winner[None]).squeeze(0).long()
    return torch.where(best > 0, merged, torch.zeros_like(merged))


@MODELS.register_module()
class TopDownParser(ParsingEncoderDecoder):
    """QANet's top-down parser: backbone -> FPN -> :class:`QANetHead`.

    Training takes person crops packed by the data pipeline (``inputs`` (N, 3,
    Ho, Wo), ``gt_sem_seg`` (1, Ho, Wo) of that person) and is mmseg's
    ``EncoderDecoder.loss``; the head adds ``loss_iou`` to CE and Lovasz.

    Prediction has two modes:

    - *crop mode* (no ``person_boxes`` in the samples): mmseg's
      ``EncoderDecoder.predict`` on the inputs as they are, with the
      left/right-swapping flip test of :class:`ParsingEncoderDecoder`.
    - *image mode* (every sample has ``person_boxes``, an ``InstanceData``
      with ``bboxes`` (n, 4) xyxy and ``scores`` (n,)): all persons of the
      batch are cropped on the model's device (box extended to
      ``input_size``'s aspect ratio, times ``bbox_padding``), run in one
      forward pass with their mirrored copies (``test_cfg.flip``), the
      mirrored probabilities are flipped back with their left/right channels
      swapped and averaged with the plain ones (QANet ``core/test.py``
      l.208-223, softmax per pass as ``qanet/modeling/parsing_head/parsing.py``
      l.55), pasted back
      (``paste_crops``), and scored::

          parsings   = argmax_c P * [max_c P >= 1 / C]     (inference.py l.95, l.104-105)
          S_p, S_p^c = pixel_score(P, pixel_score_thr)     (l.107-123, on the pasted P)
          S_i        = mean over passes of the IoU branch  (core/test.py l.242-243)
          S_q        = quality_score(S_b, S_i, S_p, qam_weights)  (evaluation.py l.293-299)

      ``pred_sem_seg`` is :func:`merge_person_parsings` ordered by the box
      score (or by ``S_q`` with ``semseg_order='quality'``).

    Call graph::

        loss(): extract_feat(crops) -> decode_head.loss()
                  -> forward_with_iou() -> loss_by_feat() [CE, Lovasz] + iou_targets() [loss_iou]
        predict(): no person_boxes -> ParsingEncoderDecoder.predict()  (crop mode)
                   person_boxes    -> predict_persons():
                       crop_persons() -> forward_crops() -> _crop_logits() [one pass, +flip]
                       -> per image: _paste_and_score() -> merge_person_parsings()

    ``test_cfg`` keys of image mode (value in ``qanet_r50_fpn.py``; default
    when absent): ``flip`` (True; False), ``qam_weights`` ((1.0, 0.5, 3.0)),
    ``pixel_score_thr`` (0.2), ``input_size`` ((384, 512), as ``(W, H)``),
    ``bbox_padding`` (1.25, QANet ``lib/data/structures/instance_box.py``
    l.41-42), ``semseg_score_thr`` (0.3, ``qanet/core/config.py`` l.718
    ``PARSING.SEMSEG_SCORE_THRESH``), ``semseg_order`` (``'box'``, QANet; or
    ``'quality'``), ``crop_pad_value`` (0: the raw pixel value outside the
    image, ``cv2.warpAffine``'s border in the training crops).
    """

    # ------------------------------------------------------------- predict
    def predict(self, inputs: Tensor, data_samples: OptSampleList = None) -> SampleList:
        """Crop mode (mmseg) or image mode (``person_boxes``), see the class doc.

        Args:
            inputs (Tensor): (B, 3, H, W) normalised images or crops.
            data_samples (list[SegDataSample], optional): Samples; image mode
                when they carry ``person_boxes``.

        Returns:
            list[SegDataSample]: ``pred_sem_seg`` (1, H, W) and, in image
            mode, ``pred_instances`` (see :meth:`predict_persons`).
        """
        with_boxes = [s is not None and 'person_boxes' in s for s in (data_samples or [])]
        if not any(with_boxes):
            return super().predict(inputs, data_samples)
        if not all(with_boxes):
            raise ValueError('image-mode prediction needs `person_boxes` in every data sample '
                             '(PackMultiPersonParsingInputs); some samples of the batch lack it')
        return self.predict_persons(inputs, data_samples)

    def predict_persons(self, inputs: Tensor, data_samples: SampleList) -> SampleList:
        """Image mode: parse every person box of the batch, paste back, score.

        Args:
            inputs (Tensor): Normalised images, shape (B, 3, H', W') (padded
                to a common size; each image's own size is its
                ``img_shape``).
            data_samples (list[SegDataSample]): Each with ``person_boxes``
                (``bboxes`` (n, 4) xyxy image pixels, ``scores`` (n,)).

        Returns:
            list[SegDataSample]: The samples with ``pred_sem_seg`` PixelData
            (1, H, W) int64 and ``pred_instances`` InstanceData over the n
            persons: ``bboxes`` (n, 4), ``box_scores``, ``iou_scores``,
            ``pixel_scores``, ``scores`` (n,), ``part_pixel_scores``,
            ``part_scores`` (n, C - 1), ``parsings`` (n, H, W) uint8.
        """
        cfg = self.test_cfg
        device = inputs.device
        num_classes = self.decode_head.num_classes
        img_shapes = [self._image_shape(s, inputs) for s in data_samples]
        boxes = [s.person_boxes.bboxes.to(device=device, dtype=torch.float32).reshape(-1, 4)
                 for s in data_samples]
        box_scores = [
            s.person_boxes.scores.to(device=device, dtype=torch.float32).reshape(-1)
            if 'scores' in s.person_boxes else torch.ones(len(b), device=device)
            for s, b in zip(data_samples, boxes)
        ]
        counts = [len(b) for b in boxes]
        batch_inds = torch.repeat_interleave(torch.arange(len(boxes), device=device),
                                             torch.tensor(counts, device=device))
        all_boxes = torch.cat(boxes) if boxes else inputs.new_zeros((0, 4))
        if len(all_boxes):
            crops, matrices = self.crop_persons(inputs, all_boxes, batch_inds, img_shapes)
            probs, ious = self.forward_crops(crops, [s.metainfo for s in data_samples])
        else:
            matrices = inputs.new_zeros((0, 2, 3))
            probs = inputs.new_zeros((0, num_classes) + tuple(self._input_size()[::-1]))
            ious = inputs.new_zeros((0, ))

        weights = tuple(cfg.get('qam_weights', (1.0, 0.5, 3.0)))
        order = cfg.get('semseg_order', 'box')
        if order not in ('box', 'quality'):
            raise ValueError(f"test_cfg.semseg_order must be 'box' or 'quality', got {order!r}")
        start = 0
        for sample, img_shape, n, bboxes, s_b in zip(data_samples, img_shapes, counts, boxes,
                                                     box_scores):
            sl = slice(start, start + n)
            start += n
            parsings, s_p, s_pc = self._paste_and_score(probs[sl], matrices[sl], img_shape)
            s_i = ious[sl]
            scores = quality_score(s_b, s_i, s_p, weights)
            part_scores = quality_score(s_b[:, None], s_i[:, None], s_pc, weights)
            sample.pred_instances = InstanceData(
                bboxes=bboxes, box_scores=s_b, iou_scores=s_i, pixel_scores=s_p,
                part_pixel_scores=s_pc, scores=scores, part_scores=part_scores,
                parsings=parsings)
            merged = merge_person_parsings(parsings, s_b if order == 'box' else scores,
                                           cfg.get('semseg_score_thr', 0.3))
            sample.pred_sem_seg = PixelData(data=merged[None])
        return data_samples

    # ------------------------------------------------------------ building blocks
    def _input_size(self) -> Tuple[int, int]:
        size = tuple(int(v) for v in self.test_cfg.get('input_size', (384, 512)))
        if len(size) != 2:
            raise ValueError(f'test_cfg.input_size must be (W, H), got {size}')
        return size

    @staticmethod
    def _image_shape(sample, inputs: Tensor) -> Tuple[int, int]:
        img_shape = tuple(sample.metainfo.get('img_shape', inputs.shape[-2:]))[:2]
        ori_shape = tuple(sample.metainfo.get('ori_shape', img_shape))[:2]
        if img_shape != ori_shape:
            raise ValueError(
                f'image-mode prediction pastes onto the input image, whose `img_shape` '
                f'{img_shape} must equal `ori_shape` {ori_shape} (no resize in the test pipeline; '
                f"sample {sample.metainfo.get('img_path', '?')})")
        return int(img_shape[0]), int(img_shape[1])

    def crop_persons(self, inputs: Tensor, bboxes: Tensor, batch_inds: Tensor,
                     img_shapes: Sequence[Tuple[int, int]]) -> Tuple[Tensor, Tensor]:
        """Warp person boxes to ``input_size`` crops on the inputs' device.

        Pixels outside an image (its ``img_shape``, not the batch padding)
        get the normalised ``crop_pad_value``, as the training crops' border.

        Args:
            inputs (Tensor): (B, 3, H', W') normalised images.
            bboxes (Tensor): (N, 4) xyxy boxes in image pixels.
            batch_inds (Tensor): (N,) image index of each box.
            img_shapes (list[tuple]): (H, W) of each image.

        Returns:
            tuple[Tensor, Tensor]: crops (N, 3, Ho, Wo) and image -> crop
            matrices (N, 2, 3).
        """
        in_w, in_h = self._input_size()
        pad = self.test_cfg.get('bbox_padding', None)
        kwargs = {} if pad is None else dict(padding=float(pad))
        centers, scales = bbox_xyxy_to_center_scale(bboxes, aspect_ratio=in_w / in_h, **kwargs)
        matrices = get_affine_matrix(centers, scales.clamp(min=1e-3), None, (in_w, in_h))
        valid = inputs.new_zeros((inputs.shape[0], 1) + tuple(inputs.shape[-2:]))
        for b, (h, w) in enumerate(img_shapes):
            valid[b, :, :h, :w] = 1
        warped = warp_to_crops(torch.cat([inputs, valid], 1), matrices, batch_inds, (in_w, in_h))
        crops, inside = warped[:, :-1], warped[:, -1:]
        fill = self._normalised_pad_value(inputs)
        crops = crops + (1 - inside) * fill.view(1, -1, 1, 1)
        return crops, matrices

    def _normalised_pad_value(self, inputs: Tensor) -> Tensor:
        raw = float(self.test_cfg.get('crop_pad_value', 0.0))
        pre = self.data_preprocessor
        fill = inputs.new_full((inputs.shape[1], ), raw)
        if getattr(pre, '_enable_normalize', False):
            fill = (fill - pre.mean.view(-1).to(fill)) / pre.std.view(-1).to(fill)
        return fill

    def _crop_logits(self, crops: Tensor) -> Tuple[Tensor, Tensor]:
        """One forward pass: logits resized to the crop size (N, C, Ho, Wo), IoU (N,)."""
        logits, ious = self.decode_head.forward_with_iou(self.extract_feat(crops))
        logits = resize(logits, size=crops.shape[-2:], mode='bilinear',
                        align_corners=self.decode_head.align_corners)
        return logits, ious

    def forward_crops(self, crops: Tensor,
                      batch_img_metas: Optional[List[dict]] = None) -> Tuple[Tensor, Tensor]:
        """Softmax probabilities and IoU scores of crops, flip-averaged.

        With ``test_cfg.flip``: ``P = (softmax(f(x)) + swap(flip(softmax(f(flip(x)))))) / 2``
        and ``S_i = (i(x) + i(flip(x))) / 2`` from one pass over
        ``cat([x, flip(x)])``. ``S_i`` is clamped to [0, 1] (QANet uses the
        raw regression, whose negative values would make ``S_i ** beta`` NaN).

        Args:
            crops (Tensor): (N, 3, Ho, Wo) normalised crops.
            batch_img_metas (list[dict], optional): For ``flip_pairs``.

        Returns:
            tuple[Tensor, Tensor]: probabilities (N, C, Ho, Wo), IoU (N,).
        """
        n = crops.shape[0]
        flip = self.test_cfg.get('flip', False)
        x = torch.cat([crops, crops.flip(-1)]) if flip else crops
        logits, ious = self._crop_logits(x)
        probs = F.softmax(logits, dim=1)
        if flip:
            pairs = self._flip_pairs_for(batch_img_metas or [])
            perm = flip_label_permutation(probs.shape[1], pairs, probs.device)
            probs = (probs[:n] + probs[n:].flip(-1)[:, perm]) / 2
            ious = (ious[:n] + ious[n:]) / 2
        return probs, ious.clamp(0, 1)

    def _paste_and_score(self, probs: Tensor, matrices: Tensor,
                         img_shape: Tuple[int, int]) -> Tuple[Tensor, Tensor, Tensor]:
        """Paste one image's person probabilities back and reduce them.

        Pasting is chunked over persons to at most ``PASTE_BYTES_LIMIT``
        bytes of float32 maps.

        Args:
            probs (Tensor): (n, C, Ho, Wo) crop probabilities.
            matrices (Tensor): (n, 2, 3) image -> crop matrices.
            img_shape (tuple): (H, W).

        Returns:
            tuple[Tensor, Tensor, Tensor]: parsings (n, H, W) uint8, instance
            pixel scores (n,), category pixel scores (n, C - 1).
        """
        n, c = probs.shape[:2]
        h, w = img_shape
        thr = float(self.test_cfg.get('pixel_score_thr', 0.2))
        if n == 0:
            return (probs.new_zeros((0, h, w), dtype=torch.uint8), probs.new_zeros((0, )),
                    probs.new_zeros((0, c - 1)))
        chunk = max(1, PASTE_BYTES_LIMIT // max(1, c * h * w * 4))
        parsings, inst, cate = [], [], []
        for i in range(0, n, chunk):
            pasted = paste_crops(probs[i:i + chunk], matrices[i:i + chunk], (h, w))
            p_max, p_idx = pasted.max(1)
            parsings.append((p_idx * (p_max >= 1.0 / c)).to(torch.uint8))
            s_p, s_pc = pixel_score(pasted, thr)
            inst.append(s_p)
            cate.append(s_pc)
        return torch.cat(parsings), torch.cat(inst), torch.cat(cate)
