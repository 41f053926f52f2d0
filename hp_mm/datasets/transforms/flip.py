"""Horizontal flip that swaps left/right labels declared by the dataset."""
from mmseg.datasets.transforms import RandomFlip

from hp_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class ParsingRandomFlip(RandomFlip):
    """mmseg ``RandomFlip`` whose left/right label pairs come with the sample.

    Required Keys: ``img``, ``gt_seg_map`` (optional), ``flip_pairs`` (added by
    hp_mm's datasets from ``METAINFO['flip_pairs']``).
    Modified Keys: ``img``, ``gt_seg_map``. Added Keys: ``flip``,
    ``flip_direction``, ``swap_seg_labels``.

    With ``swap_seg_labels`` given explicitly those pairs are used instead (for a
    dataset without ``flip_pairs``). A horizontal flip swaps each pair (l, r)
    after mirroring, so flipping twice is the identity.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.configured_pairs = self.swap_seg_labels

    def _flip(self, results: dict) -> None:
        if results.get('flip_direction') == 'horizontal':
            pairs = self.configured_pairs
            if pairs is None:
                pairs = results.get('flip_pairs')
            if pairs is None:
                raise KeyError(f'{type(self).__name__}: the sample {results.get("img_path")} '
                               'has no `flip_pairs` and no `swap_seg_labels` was configured')
            self.swap_seg_labels = [tuple(p) for p in pairs]
        else:
            self.swap_seg_labels = []
        super()._flip(results)
