"""LoadPseudoLabels: the map enters before the geometric transforms and follows them."""
import pickle

import numpy as np
import pytest
from mmcv.transforms import Compose

from hp_mm.datasets.transforms import LoadPseudoLabels
from hp_mm.datasets.transforms.pseudo_labels import nearest_upsample
from hp_mm.registry import TRANSFORMS
from hp_mm.structures import PseudoLabelStore


def _planted(tmp_path, n=3, h=8, w=4):
    """A store whose every pixel holds a distinct code (row-major, + 40 * sample)."""
    labels = (np.arange(h * w).reshape(1, h, w) + 40 * np.arange(n)[:, None, None]).astype(np.uint8)
    store = PseudoLabelStore.create(str(tmp_path / 'default.npy'), n, h, w)
    store.write(np.arange(n), labels)
    store.flush()
    return labels


def _image_with_codes(labels, sample_idx, scale):
    """An image whose channel 0 is the label code of each pixel (upsampled by ``scale``)."""
    code = np.kron(labels[sample_idx], np.ones((scale, scale), np.uint8)).astype(np.float32)
    return np.stack([code, code * 0 + 1, code * 0 + 2], -1)


@pytest.mark.parametrize('direction', ['horizontal', 'vertical'])
def test_planted_pattern_follows_flip_and_crop(tmp_path, direction):
    labels = _planted(tmp_path)
    pipeline = Compose([
        TRANSFORMS.build(dict(type='LoadPseudoLabels', store_dir=str(tmp_path))),
        TRANSFORMS.build(dict(type='mmseg.RandomFlip', prob=1.0, direction=direction)),
        TRANSFORMS.build(dict(type='mmseg.RandomCrop', crop_size=(10, 5))),
    ])
    for idx in range(3):
        img = _image_with_codes(labels, idx, scale=2)         # 16 x 8 image, 8 x 4 store
        out = pipeline(dict(img=img.copy(), sample_idx=idx, seg_fields=[]))
        seg = out['gt_pseudo_seg']
        assert seg.dtype == np.uint8 and seg.shape == (10, 5) == out['img'].shape[:2]
        assert 'gt_pseudo_seg' in out['seg_fields'] and out['flip']
        # every label pixel still sits under the image pixel that carries its code
        assert np.array_equal(seg, out['img'][..., 0].astype(np.uint8))
    # without the crop: exactly the flipped, upsampled planted map
    flip_only = Compose(pipeline.transforms[:2])
    out = flip_only(dict(img=_image_with_codes(labels, 1, 2), sample_idx=1, seg_fields=[]))
    axis = 1 if direction == 'horizontal' else 0
    assert np.array_equal(out['gt_pseudo_seg'], np.flip(nearest_upsample(labels[1], 16, 8), axis))


def test_store_resolution_and_errors(tmp_path):
    labels = _planted(tmp_path)
    t = LoadPseudoLabels(resize_to_img=False, key='gt_parts', store_dir=str(tmp_path))
    out = t(dict(img=np.zeros((16, 8, 3), np.float32), sample_idx=2))
    assert np.array_equal(out['gt_parts'], labels[2]) and out['seg_fields'] == ['gt_parts']
    assert nearest_upsample(np.array([[1, 2], [3, 4]]), 3, 4).tolist() == \
        [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4]]
    # the open memmap is not pickled into dataloader workers
    clone = pickle.loads(pickle.dumps(t))
    assert clone._reader is None and np.array_equal(clone(dict(sample_idx=0))['gt_parts'], labels[0])
    with pytest.raises(KeyError, match='sample_idx'):
        t(dict(img=np.zeros((16, 8, 3))))
    with pytest.raises(RuntimeError, match="no store_dir: .*default_hooks = dict\\(clustering="):
        LoadPseudoLabels()(dict(img=np.zeros((2, 2, 3)), sample_idx=0))
    unbound = LoadPseudoLabels(store='other')
    unbound.bind(str(tmp_path))
    with pytest.raises(FileNotFoundError, match='other.npy'):
        unbound(dict(img=np.zeros((2, 2, 3)), sample_idx=0))
