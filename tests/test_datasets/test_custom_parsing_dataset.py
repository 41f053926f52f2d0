"""CustomParsingDataset on (a) index masks + class list and (b) CVAT colour masks + labelmap,
loaded with LoadColorParsingAnnotations and flipped with the class file's left/right pairs."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from hp_mm.datasets import CustomParsingDataset

# 4 x 6 label map: 0 background, 1 l_sleeve, 2 r_sleeve, 3 hair
LABELS = np.array([[0, 3, 3, 3, 0, 0],
                   [1, 1, 0, 2, 2, 0],
                   [1, 0, 0, 0, 2, 2],
                   [0, 0, 3, 0, 0, 0]], np.uint8)
# horizontal flip, then l_sleeve <-> r_sleeve
FLIPPED = np.array([[0, 0, 3, 3, 3, 0],
                    [0, 1, 1, 0, 2, 2],
                    [1, 1, 0, 0, 0, 2],
                    [0, 0, 0, 3, 0, 0]], np.uint8)
PALETTE = [(0, 0, 0), (0, 255, 0), (0, 0, 255), (255, 0, 0)]
PIPELINE = [
    dict(type='LoadParsingImageFromFile'),
    dict(type='LoadColorParsingAnnotations'),
    dict(type='ParsingRandomFlip', prob=1.0),
    dict(type='PackSegInputs', meta_keys=('img_path', 'seg_map_path', 'flip', 'flip_pairs')),
]


def _image(path, h=4, w=6, seed=0):
    os.makedirs(osp.dirname(path), exist_ok=True)
    cv2.imwrite(path, np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8))


def index_folder(root, stems=('a', 'b')):
    """(a): images/, masks/ (index PNGs), classes.txt with a declared pair, train.txt."""
    os.makedirs(osp.join(root, 'masks'), exist_ok=True)
    with open(osp.join(root, 'classes.txt'), 'w') as f:
        f.write('background\nl_sleeve <-> r_sleeve\nr_sleeve\nhair\n')
    for i, stem in enumerate(stems):
        _image(osp.join(root, 'images', stem + '.jpg'), seed=i)
        cv2.imwrite(osp.join(root, 'masks', stem + '.png'), LABELS)
    with open(osp.join(root, 'train.txt'), 'w') as f:
        f.write('\n'.join(stems) + '\n')
    return root


def cvat_folder(root, mask=None):
    """(b): CVAT's Segmentation mask 1.1 layout, colour masks, labelmap.txt."""
    for d in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation'):
        os.makedirs(osp.join(root, d), exist_ok=True)
    with open(osp.join(root, 'labelmap.txt'), 'w') as f:
        f.write('# label:color_rgb:parts:actions\nbackground:0,0,0::\nleft-hand:0,255,0::\n'
                'right-hand:0,0,255::\nhair:255,0,0::\n')
    rgb = np.asarray(PALETTE, np.uint8)[LABELS] if mask is None else mask
    _image(osp.join(root, 'JPEGImages', 'frame_000000.jpg'))
    cv2.imwrite(osp.join(root, 'SegmentationClass', 'frame_000000.png'), rgb[..., ::-1])
    with open(osp.join(root, 'ImageSets/Segmentation/default.txt'), 'w') as f:
        f.write('frame_000000\n')
    return root


def cvat_dataset(root, **kwargs):
    return CustomParsingDataset(
        data_root=root, classes_file='labelmap.txt',
        ann_file='ImageSets/Segmentation/default.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
        pipeline=PIPELINE, **kwargs)


def test_index_masks_with_declared_flip_pairs(tmp_path):
    init_default_scope('hp_mm')
    root = index_folder(str(tmp_path / 'mine'))
    ds = CustomParsingDataset(data_root=root, classes_file='classes.txt', ann_file='train.txt',
                              num_classes=4, pipeline=PIPELINE)
    assert len(ds) == 2
    assert ds.metainfo['classes'] == ('background', 'l_sleeve', 'r_sleeve', 'hair')
    assert ds.metainfo['flip_pairs'] == ((1, 2), )
    assert len(ds.metainfo['palette']) == 4 and ds.metainfo['palette'][0] == [0, 0, 0]
    out = ds[0]
    assert 'color_palette' not in ds.get_data_info(0)
    assert out['data_samples'].metainfo['flip_pairs'] == [(1, 2)]
    assert out['data_samples'].gt_sem_seg.data[0].numpy().tolist() == FLIPPED.tolist()


def test_folder_scan_without_id_list(tmp_path):
    root = index_folder(str(tmp_path / 'mine'), stems=('z', 'a', 'm'))
    ds = CustomParsingDataset(data_root=root, classes_file='classes.txt', pipeline=[])
    assert [osp.basename(ds.get_data_info(i)['img_path']) for i in range(3)] == \
        ['a.jpg', 'm.jpg', 'z.jpg']


def test_cvat_colour_masks(tmp_path):
    init_default_scope('hp_mm')
    root = cvat_folder(str(tmp_path / 'cvat'))
    ds = cvat_dataset(root)
    assert ds.color_masks
    assert ds.metainfo['classes'] == ('background', 'left-hand', 'right-hand', 'hair')
    assert ds.metainfo['flip_pairs'] == ((1, 2), )  # derived from left-/right- names
    assert ds.metainfo['palette'] == [list(c) for c in PALETTE]
    assert ds.get_data_info(0)['color_palette'] == tuple(PALETTE)
    gt = ds[0]['data_samples'].gt_sem_seg.data[0].numpy()
    assert gt.tolist() == FLIPPED.tolist()


def test_unknown_colour_names_file_colour_and_count(tmp_path):
    init_default_scope('hp_mm')
    mask = np.asarray(PALETTE, np.uint8)[LABELS]
    mask[0, :2] = (10, 20, 30)
    mask[3, 5] = (1, 2, 3)
    root = cvat_folder(str(tmp_path / 'cvat'), mask)
    with pytest.raises(ValueError) as e:
        cvat_dataset(root)[0]
    msg = str(e.value)
    assert 'frame_000000.png' in msg and '2 colour(s) not in the palette' in msg
    assert '(10, 20, 30) x 2 px' in msg and '(1, 2, 3) x 1 px' in msg


@pytest.mark.parametrize('kwargs,error,message', [
    (dict(num_classes=5), ValueError, r'lists 4 classes but num_classes is 5'),
    (dict(ann_file='val.txt'), FileNotFoundError, r'ann_file .* not found: .*val.txt'),
    (dict(metainfo=dict(classes=('a', 'b'))), ValueError, 'give the classes in classes_file'),
    (dict(color_masks=True), ValueError, 'needs a CVAT labelmap'),
    (dict(flip_pairs=[('hair', 'nose')]), ValueError, "'nose' is not a class"),
])
def test_bad_configuration(tmp_path, kwargs, error, message):
    root = index_folder(str(tmp_path / 'mine'))
    with pytest.raises(error, match=message):
        CustomParsingDataset(data_root=root, classes_file='classes.txt', **kwargs)


def test_explicit_flip_pairs_and_missing_mask(tmp_path):
    root = index_folder(str(tmp_path / 'mine'))
    ds = CustomParsingDataset(data_root=root, classes_file='classes.txt',
                              flip_pairs=[('l_sleeve', 'r_sleeve'), (3, 0)])
    assert ds.metainfo['flip_pairs'] == ((1, 2), (3, 0))
    os.remove(osp.join(root, 'masks', 'b.png'))
    with pytest.raises(FileNotFoundError, match=r'seg_map_path .*masks/b.png does not exist'):
        CustomParsingDataset(data_root=root, classes_file='classes.txt', ann_file='train.txt')
