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

from hp_mm.registry import MODELS
from hp_mm.structures import (bbox_xyxy_to_center_scale, get_affine_matrix, paste_crops,
                              warp_to_crops)
from ..utils.qanet_post_process import QAM_WEIGHTS, qanet_post_process
from ..utils.quality_scores import pixel_score
from .parsing_encoder_decoder import ParsingEncoderDecoder, flip_label_permutation

# QANet pastes at most this many bytes of probabilities at a time
# (``parsing_head/inference.py`` l.88, ``GPU_MEM_LIMIT``).
PASTE_BYTES_LIMIT = 1024**3


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

      and :func:`~hp_mm.models.utils.qanet_post_process` (the one QANet
      post-processor) gives the QAM scores ``S_q = quality_score(S_b, S_i,
      S_p, weights)`` of every ranking, parsing NMS (``kept``) and
      ``pred_sem_seg`` (persons painted in box-score order, or by ``S_q`` with
      ``semseg_order='quality'``).

    Call graph::

        loss(): extract_feat(crops) -> decode_head.loss()
                  -> forward_with_iou() -> loss_by_feat() [CE, Lovasz] + iou_targets() [loss_iou]
        predict(): no person_boxes -> ParsingEncoderDecoder.predict()  (crop mode)
                   person_boxes    -> predict_persons():
                       crop_persons() -> forward_crops() -> _crop_logits() [one pass, +flip]
                       -> per image: _paste_and_score() -> qanet_post_process()

    ``test_cfg`` keys of image mode (value in ``qanet_r50_fpn.py``; default
    when absent): ``flip`` (True; False), ``pixel_score_thr`` (0.2),
    ``input_size`` ((384, 512), as ``(W, H)``), ``bbox_padding`` (1.25, QANet
    ``lib/data/structures/instance_box.py`` l.41-42), ``crop_pad_value`` (0:
    the raw pixel value outside the image, ``cv2.warpAffine``'s border in the
    training crops), and the post-processing keys of
    :func:`~hp_mm.models.utils.qanet_post_process`: ``score_variants``
    (``dict(qam=(1.0, 0.5, 3.0), box=(1.0, 0.0, 0.0), pixel=(0.0, 0.0,
    1.0))``: the first is the model's ranking, the others extra rankings
    for the evaluation tables; default ``dict(qam=qam_weights)``),
    ``qam_weights`` ((1.0, 0.5, 3.0), used when ``score_variants`` is
    absent), ``score_thr`` (0.01), ``parsing_nms_thr`` (0.6),
    ``semseg_score_thr`` (0.3, ``PARSING.SEMSEG_SCORE_THRESH`` of CIHP; 0.05
    for MHP-v2) and ``semseg_order`` (``'box'``, QANet; or ``'quality'``).
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
            detected persons: ``bboxes`` (n, 4), ``box_scores``, ``iou_scores``,
            ``pixel_scores``, ``scores`` (n,), ``kept`` (n,) bool (survived
            parsing NMS and ``score_thr``), ``part_pixel_scores``,
            ``part_scores`` (n, C - 1), ``parsings`` (n, H, W) uint8, and every
            ranking of ``score_variants`` (names in the metainfo
            ``score_variants``): ``variant_scores`` (n, V), ``variant_part_scores``
            (n, V, C - 1), ``variant_kept`` (n, V).
        """
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

        post_cfg = self.post_process_cfg()
        start = 0
        for sample, img_shape, n, bboxes, s_b in zip(data_samples, img_shapes, counts, boxes,
                                                     box_scores):
            sl = slice(start, start + n)
            start += n
            parsings, s_p, s_pc = self._paste_and_score(probs[sl], matrices[sl], img_shape)
            s_i = ious[sl]
            sample.pred_instances, sample.pred_sem_seg = self.pack_persons(
                parsings, bboxes, s_b, s_i, s_p, s_pc, **post_cfg)
        return data_samples

    # ------------------------------------------------------------ building blocks
    @staticmethod
    def pack_persons(parsings: Tensor, bboxes: Tensor, box_scores: Tensor,
                     iou_scores: Optional[Tensor], pixel_scores: Optional[Tensor],
                     part_pixel_scores: Tensor, **post_cfg) -> Tuple[InstanceData, PixelData]:
        """Post-process one image's persons and pack them as the model's prediction.

        Args:
            parsings (Tensor): (n, H, W) per-person label maps.
            bboxes (Tensor): (n, 4) boxes.
            box_scores, iou_scores, pixel_scores (Tensor): (n,) components.
            part_pixel_scores (Tensor): (n, C - 1).
            **post_cfg: Keyword arguments of :func:`qanet_post_process`.

        Returns:
            tuple[InstanceData, PixelData]: ``pred_instances`` (fields in
            :meth:`predict_persons`) and ``pred_sem_seg`` (1, H, W).
        """
        post = qanet_post_process(parsings, box_scores, iou_scores, pixel_scores,
                                  part_pixel_scores, **post_cfg)
        rankings = post['variants'].values()
        n = parsings.shape[0]
        ones = box_scores.new_ones(n)
        instances = InstanceData(
            metainfo=dict(score_variants=tuple(post['variants']),
                          score_variant_weights=tuple(r['weights'] for r in rankings)),
            bboxes=bboxes, box_scores=box_scores,
            iou_scores=ones if iou_scores is None else iou_scores,
            pixel_scores=ones if pixel_scores is None else pixel_scores,
            part_pixel_scores=part_pixel_scores, scores=post['scores'],
            part_scores=post['part_scores'], kept=post['kept'], parsings=parsings,
            variant_scores=torch.stack([r['scores'] for r in rankings], 1),
            variant_part_scores=torch.stack([r['part_scores'] for r in rankings], 1),
            variant_kept=torch.stack([r['kept'] for r in rankings], 1))
        return instances, PixelData(data=post['sem_seg'][None])

    def post_process_cfg(self) -> dict:
        """The keyword arguments of :func:`qanet_post_process` from ``test_cfg``."""
        cfg = self.test_cfg
        variants = cfg.get('score_variants', None) or dict(
            qam=tuple(cfg.get('qam_weights', QAM_WEIGHTS)))
        out = dict(score_variants=variants)
        for key in ('score_thr', 'parsing_nms_thr', 'semseg_score_thr', 'semseg_order'):
            if key in cfg:
                out[key] = cfg[key]
        return out

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
