"""EncoderDecoder with human-parsing flip test (left/right channels swapped back)."""
from typing import List, Optional, Sequence

import torch
from mmseg.models.segmentors import EncoderDecoder
from torch import Tensor

from hp_mm.registry import MODELS


def flip_label_permutation(num_classes: int, flip_pairs: Sequence[Sequence[int]],
                           device=None) -> Tensor:
    """Channel permutation that maps a mirrored image's classes back.

    Args:
        num_classes (int): C.
        flip_pairs: (left, right) class index pairs.

    Returns:
        LongTensor (C,): ``perm`` with ``perm[l] = r`` and ``perm[r] = l``; so
        ``logits[:, perm]`` swaps each pair's channels. It is its own inverse.
    """
    perm = torch.arange(num_classes, device=device)
    for left, right in flip_pairs:
        if not (0 <= left < num_classes and 0 <= right < num_classes):
            raise ValueError(f'flip pair {(left, right)} is outside the {num_classes} classes')
        perm[left], perm[right] = right, left
    return perm


@MODELS.register_module()
class ParsingEncoderDecoder(EncoderDecoder):
    """mmseg ``EncoderDecoder`` whose test can average over a horizontal flip.

    ``test_cfg=dict(mode='whole', flip=True)`` runs the image and its mirror in
    one batch; the mirror's logits are flipped back and their left/right
    channels swapped (``flip_pairs``), then the two are averaged::

        inference(x) = (f(x) + P(flip(f(flip(x))))) / 2      # f: encode_decode, P: pair swap

    ``flip_pairs`` comes, in order of precedence, from the sample metainfo
    (``flip_pairs``, packed by ``PackSegInputs``), from the constructor, or from
    :meth:`set_dataset_meta` (called by ``DatasetMetaHook`` and the inferencer).

    ``channels_last=True`` keeps weights and inputs in NHWC memory format (the
    same model, faster convolutions on CPU with oneDNN).

    Call graph (as mmseg)::

        predict(): inference() -> [slide|whole]_inference(x [, flip(x)]) -> postprocess_result()
        loss(): extract_feat() -> _decode_head_forward_train() (+ auxiliary)
    """

    def __init__(self,
                 *args,
                 flip_pairs: Optional[Sequence] = None,
                 channels_last: bool = False,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.flip_pairs = [tuple(p) for p in flip_pairs] if flip_pairs is not None else None
        # NHWC weights and inputs: oneDNN's faster convolution layout on CPU (and
        # tensor cores' on GPU); numerically the same model
        self.channels_last = channels_last
        self._to_channels_last()

    def _to_channels_last(self) -> None:
        if self.channels_last:
            self.to(memory_format=torch.channels_last)

    def init_weights(self) -> None:
        super().init_weights()
        self._to_channels_last()  # initialisers may replace tensors

    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        """Backbone (+ neck) features of images (N, 3, H, W)."""
        if self.channels_last:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        return super().extract_feat(inputs)

    def set_dataset_meta(self, metainfo: dict) -> None:
        """Take ``flip_pairs`` from a dataset's metainfo (if not configured)."""
        if self.flip_pairs is None and metainfo.get('flip_pairs') is not None:
            self.flip_pairs = [tuple(p) for p in metainfo['flip_pairs']]

    def _flip_pairs_for(self, batch_img_metas: List[dict]) -> List[tuple]:
        pairs = batch_img_metas[0].get('flip_pairs', self.flip_pairs) if batch_img_metas \
            else self.flip_pairs
        if pairs is None:
            raise ValueError('flip test needs left/right `flip_pairs`: none in the sample '
                             'metainfo, the model config or the dataset meta')
        return [tuple(p) for p in pairs]

    def inference(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """Logits (N, C, H, W) at the original size, flip-averaged if ``test_cfg.flip``."""
        if not self.test_cfg.get('flip', False):
            return super().inference(inputs, batch_img_metas)
        n = inputs.shape[0]
        both = super().inference(torch.cat([inputs, inputs.flip(-1)]), batch_img_metas * 2)
        perm = flip_label_permutation(both.shape[1], self._flip_pairs_for(batch_img_metas),
                                      both.device)
        return (both[:n] + both[n:].flip(-1)[:, perm]) / 2
