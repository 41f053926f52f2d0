"""Two views per sample with per-epoch fixed random parameters (PiCIE / C²L).

PiCIE draws every sample's augmentation parameters once per epoch
(``TrainCOCO.reshuffle`` -> ``init_transforms``: one list of random numbers per
transform, indexed by the sample), so the clustering passes and the training pass of an
epoch see the same two views of each image, and the next epoch sees new ones. PiCIE
does it with dataset state toggled from outside (``dataset.mode``, ``dataset.view``);
here the parameters are a pure function of ``(seed, epoch, sample_idx)``:

- :class:`GenerateTwoViews` seeds NumPy's and Python's global generators from
  ``(seed, epoch, sample_idx)`` around the photometric transforms (any registered
  transforms that draw from ``np.random`` / ``random``: mmseg ``PhotoMetricDistortion``,
  mmcv ``RandomApply`` / ``RandomGrayscale``, :class:`RandomGaussianBlur`), run on both
  views by mmcv's ``TransformBroadcaster``, and restores the generators afterwards;
  the geometric transform G (crop box + flip) is drawn from
  ``np.random.default_rng((seed, epoch, sample_idx))``.
- The epoch (and, with ``seed=None``, the run's seed) is held in a small shared-memory
  tensor of the transform, so DataLoader workers (persistent or not, fork or spawn)
  read the values the clustering hook set with :func:`set_view_epoch` at the start of
  its clustering.

G itself is applied in the model (to view 2's image, and to view 1's feature map), with
``hp_mm.structures.apply_view_geometry``.
"""
import contextlib
import random
from typing import Iterator, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform, TransformBroadcaster
from mmcv.transforms.utils import cache_randomness
from mmengine.structures import PixelData
from mmseg.datasets.transforms import PackSegInputs

from hp_mm.registry import TRANSFORMS

_SEED_MODULUS = 2**32


def view_entropy(seed: int, epoch: int, sample_idx: int, stream: int) -> List[int]:
    """Entropy of the generator of one (seed, epoch, sample, stream): 0 = photometric, 1 = G."""
    return [int(seed) % _SEED_MODULUS, int(epoch), int(sample_idx), int(stream)]


@contextlib.contextmanager
def seeded_global_rng(entropy: Sequence[int]) -> Iterator[None]:
    """Seed ``np.random`` and ``random`` from ``entropy`` inside the block, restore them after."""
    np_state, py_state = np.random.get_state(), random.getstate()
    state = np.random.SeedSequence(list(entropy)).generate_state(2)
    np.random.seed(int(state[0]))
    random.seed(int(state[1]))
    try:
        yield
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)


@TRANSFORMS.register_module()
class RandomGaussianBlur(BaseTransform):
    """Gaussian blur with a random sigma (PiCIE / MoCo v2: sigma in [0.1, 2], p = 0.5).

    Required Keys: ``img``. Modified Keys: ``img``.

    Args:
        sigma (tuple[float, float]): Range of sigma in pixels. Defaults to (0.1, 2.0).
        prob (float): Probability of blurring. Defaults to 0.5.
    """

    def __init__(self, sigma: Tuple[float, float] = (0.1, 2.0), prob: float = 0.5) -> None:
        self.sigma = tuple(sigma)
        self.prob = prob

    @cache_randomness
    def _draw(self) -> Optional[float]:
        if np.random.rand() >= self.prob:
            return None
        return float(np.random.uniform(*self.sigma))

    def transform(self, results: dict) -> dict:
        sigma = self._draw()
        if sigma is not None:
            results['img'] = cv2.GaussianBlur(results['img'], (0, 0), sigmaX=sigma, sigmaY=sigma)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(sigma={self.sigma}, prob={self.prob})'


@TRANSFORMS.register_module()
class GenerateTwoViews(BaseTransform):
    """Two photometric views and one geometric transform G, fixed per (seed, epoch, sample).

    Required Keys: ``img`` (the whole image, already resized to the input size),
    ``sample_idx``.

    Modified Keys: ``img`` (view 1, ``P^1(x)``).

    Added Keys: ``img_view2`` (``P^2(x)``, same size), ``view_crop`` (tuple of 4
    floats: G's crop box ``(x0, y0, x1, y1)`` relative to the image), ``view_flip``
    (bool: G flips horizontally after the crop), ``view_epoch`` (int).

    G is PiCIE's ``RandomResizedCrop`` + ``RandomHorizontalTensorFlip``: a crop whose
    sides are the fraction ``s ~ U(crop_scale)`` of the image's (same s for both, as
    PiCIE on square images), at a uniform position, resized back to the full size, and
    a flip with probability ``flip_prob``.

    Args:
        photometric (list[dict]): Transforms applied to each view independently
            (e.g. ``RandomApply(PhotoMetricDistortion)``, ``RandomGrayscale``,
            :class:`RandomGaussianBlur`). Defaults to () (two identical views).
        crop_scale (tuple[float, float]): Range of s. Defaults to (0.5, 1.0) (PiCIE's
            ``--min_scale 0.5``).
        flip_prob (float): Probability of the flip. Defaults to 0.5.
        seed (int, optional): Base seed of the views. Defaults to None: the seed
            shared by :func:`set_view_epoch` (the clustering hook passes the run's
            ``randomness.seed``), 0 before any call.
    """

    def __init__(self,
                 photometric: Sequence[dict] = (),
                 crop_scale: Tuple[float, float] = (0.5, 1.0),
                 flip_prob: float = 0.5,
                 seed: Optional[int] = None) -> None:
        lo, hi = crop_scale
        if not 0 < lo <= hi <= 1:
            raise ValueError(f'GenerateTwoViews: crop_scale must satisfy 0 < lo <= hi <= 1, '
                             f'got {crop_scale}')
        self.crop_scale = (float(lo), float(hi))
        self.flip_prob = flip_prob
        self.seed = seed
        self.photometric_cfg = list(photometric)
        self.photometric = None
        if self.photometric_cfg:
            self.photometric = TransformBroadcaster(
                transforms=self.photometric_cfg,
                mapping={'img': ['img', 'img_view2']},
                auto_remap=True,
                share_random_params=False)
        # (epoch, shared seed), in shared memory: visible to the DataLoader workers
        self._state = torch.zeros(2, dtype=torch.int64).share_memory_()

    # ------------------------------------------------------------------ epoch
    @property
    def epoch(self) -> int:
        """The epoch whose views are produced (shared with the DataLoader workers)."""
        return int(self._state[0])

    @property
    def view_seed(self) -> int:
        """The seed in use: ``seed`` if given, else the shared one."""
        return int(self._state[1]) if self.seed is None else int(self.seed)

    def set_epoch(self, epoch: int, seed: Optional[int] = None) -> None:
        """Produce the views of ``epoch`` (and of ``seed`` when ``self.seed`` is None)
        from now on, in every worker."""
        if seed is not None:
            self._state[1] = int(seed) % _SEED_MODULUS
        self._state[0] = int(epoch)

    # ------------------------------------------------------------------ parameters
    def geometry(self, sample_idx: int, epoch: Optional[int] = None) -> Tuple[tuple, bool]:
        """G of a sample at an epoch: ``((x0, y0, x1, y1), flip)``, relative coordinates."""
        epoch = self.epoch if epoch is None else epoch
        rng = np.random.default_rng(view_entropy(self.view_seed, epoch, sample_idx, 1))
        s = float(rng.uniform(*self.crop_scale))
        x0, y0 = (1 - s) * float(rng.uniform()), (1 - s) * float(rng.uniform())
        flip = bool(rng.uniform() < self.flip_prob)
        return (x0, y0, x0 + s, y0 + s), flip

    def transform(self, results: dict) -> dict:
        if 'sample_idx' not in results:
            raise KeyError(f'GenerateTwoViews needs results["sample_idx"] (mmengine\'s '
                           f'BaseDataset.get_data_info sets it); got keys {sorted(results)}')
        idx, epoch = int(results['sample_idx']), self.epoch
        results['img_view2'] = results['img'].copy()
        if self.photometric is not None:
            with seeded_global_rng(view_entropy(self.view_seed, epoch, idx, 0)):
                results = self.photometric(results)
        crop, flip = self.geometry(idx, epoch)
        results['view_crop'] = crop
        results['view_flip'] = flip
        results['view_epoch'] = epoch
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(photometric={self.photometric_cfg}, '
                f'crop_scale={self.crop_scale}, flip_prob={self.flip_prob}, seed={self.seed})')


def iter_two_view_transforms(dataset) -> Iterator[GenerateTwoViews]:
    """Every :class:`GenerateTwoViews` in a dataset's pipeline (wrapper datasets unwrapped)."""
    seen = set()
    stack = [dataset]
    while stack:
        obj = stack.pop()
        if obj is None or id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, GenerateTwoViews):
            yield obj
            continue
        for attr in ('dataset', 'pipeline'):
            child = getattr(obj, attr, None)
            if child is not None and not isinstance(child, (str, dict)):
                stack.append(child)
        children = getattr(obj, 'datasets', None) or getattr(obj, 'transforms', None)
        if isinstance(children, (list, tuple)):
            stack.extend(children)


def set_view_epoch(dataset, epoch: int, seed: Optional[int] = None) -> int:
    """Set the epoch (and shared seed) of every :class:`GenerateTwoViews` of ``dataset``;
    return how many."""
    count = 0
    for t in iter_two_view_transforms(dataset):
        t.set_epoch(epoch, seed)
        count += 1
    return count


@TRANSFORMS.register_module()
class PackTwoViewInputs(PackSegInputs):
    """``PackSegInputs`` for :class:`GenerateTwoViews` samples.

    Required Keys: ``img``, ``img_view2``, ``view_crop``, ``view_flip``; optional
    ``gt_seg_map``, and the pseudo-labels of both views (``pseudo_keys``, (h, w) uint8,
    from ``LoadPseudoLabels``).

    Added Keys: ``inputs`` (6, H, W) uint8 (view 1's channels then view 2's),
    ``data_samples`` with the ``meta_keys`` metainfo (``sample_idx``, ``view_crop``,
    ``view_flip``, ``view_epoch`` by default) and ``gt_pseudo_seg`` (PixelData (2, h, w))
    when both pseudo-label maps are present.

    Args:
        pseudo_keys (tuple[str, str]): Result keys of the views' pseudo-labels.
            Defaults to ('gt_pseudo_seg_1', 'gt_pseudo_seg_2').
        meta_keys (tuple[str]): Metainfo keys.
    """

    def __init__(self,
                 pseudo_keys: Tuple[str, str] = ('gt_pseudo_seg_1', 'gt_pseudo_seg_2'),
                 meta_keys: Sequence[str] = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape',
                                             'pad_shape', 'scale_factor', 'flip',
                                             'flip_direction', 'reduce_zero_label', 'sample_idx',
                                             'view_crop', 'view_flip', 'view_epoch')) -> None:
        super().__init__(meta_keys=tuple(meta_keys))
        self.pseudo_keys = tuple(pseudo_keys)

    @staticmethod
    def _to_chw(img: np.ndarray) -> torch.Tensor:
        if img.ndim < 3:
            img = img[..., None]
        return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))

    def transform(self, results: dict) -> dict:
        for key in ('img_view2', 'view_crop', 'view_flip'):
            if key not in results:
                raise KeyError(f'PackTwoViewInputs needs results[{key!r}]: put GenerateTwoViews '
                               'before it')
        view1, view2 = self._to_chw(results['img']), self._to_chw(results['img_view2'])
        if view1.shape != view2.shape:
            raise ValueError(f'the two views differ in shape: {tuple(view1.shape)} vs '
                             f'{tuple(view2.shape)}')
        packed = super().transform(results)
        packed['inputs'] = torch.cat([view1, view2]).contiguous()
        present = [k for k in self.pseudo_keys if k in results]
        if len(present) == 2:
            maps = [np.asarray(results[k]) for k in self.pseudo_keys]
            if maps[0].shape != maps[1].shape:
                raise ValueError(f'pseudo-label maps {self.pseudo_keys} differ in shape: '
                                 f'{maps[0].shape} vs {maps[1].shape}')
            packed['data_samples'].gt_pseudo_seg = PixelData(
                data=torch.from_numpy(np.stack(maps).astype(np.int64)))
        elif present:
            raise KeyError(f'PackTwoViewInputs found only {present} of the pseudo-label keys '
                           f'{self.pseudo_keys}')
        return packed
