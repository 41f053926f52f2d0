"""Top-down transforms: label loading per person / per image, QANet's box extension and
augmentation, flip with left/right swap, and the affine crop."""
import cv2
import numpy as np
import pytest

from hp_mm.datasets.transforms import (LoadMultiPersonAnnotations, LoadPersonParsingAnnotation,
                                       PersonAffine, PersonBBoxCenterScale, PersonRandomFlip,
                                       PersonRandomScaleRotate)
from hp_mm.structures import get_affine_matrix

PAIRS = [(14, 15), (16, 17), (18, 19)]


def person_results(rng=None, h=60, w=80):
    """An image with a person whose left side is class 14 and right side class 15."""
    rng = rng or np.random.default_rng(0)
    img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    seg = np.zeros((h, w), np.uint8)
    seg[10:50, 20:30] = 14
    seg[10:50, 30:45] = 15
    seg[20:30, 25:40] = 5
    return dict(img=img, gt_seg_map=seg, seg_fields=['gt_seg_map'], flip_pairs=PAIRS,
                img_shape=(h, w), bbox=np.array([19.5, 9.5, 44.5, 49.5], np.float32))


@pytest.fixture
def label_files(tmp_path):
    cat = np.zeros((30, 40), np.uint8)
    human = np.zeros((30, 40), np.uint8)
    cat[2:12, 3:9], human[2:12, 3:9] = 14, 1
    cat[5:25, 20:30], human[5:25, 20:30] = 5, 3
    cat[15:25, 22:26] = 13
    paths = dict(cat=str(tmp_path / 'cat.png'), human=str(tmp_path / 'human.png'))
    cv2.imwrite(paths['cat'], cat)
    cv2.imwrite(paths['human'], human)
    # MHP-style 3-channel person files: the R channel holds the labels (B and G are decoys)
    for k, sel in ((1, np.s_[2:12, 3:9]), (2, np.s_[10:28, 5:35])):
        person = np.zeros((30, 40, 3), np.uint8)
        person[sel] = (99, 98, 7 + k)  # BGR for cv2.imwrite
        paths[f'p{k}'] = str(tmp_path / f'1_02_0{k}.png')
        cv2.imwrite(paths[f'p{k}'], person)
    return paths, cat, human


def test_load_person_parsing_annotation(label_files):
    paths, cat, human = label_files
    base = dict(ori_shape=(30, 40), num_classes=20, seg_fields=[])
    out = LoadPersonParsingAnnotation()(dict(base, seg_map_path=paths['cat'],
                                             human_map_path=paths['human'], parsing_id=3,
                                             bbox=None))
    np.testing.assert_array_equal(out['gt_seg_map'], np.where(human == 3, cat, 0))
    assert set(np.unique(out['gt_seg_map'])) == {0, 5, 13}  # not the other person's 14
    assert out['seg_fields'] == ['gt_seg_map'] and out['gt_seg_map'].dtype == np.uint8
    np.testing.assert_allclose(out['bbox'], [19.5, 4.5, 29.5, 24.5])
    given = np.array([1., 2., 3., 4.], np.float32)
    out = LoadPersonParsingAnnotation()(dict(base, seg_map_path=paths['cat'],
                                             human_map_path=paths['human'], parsing_id=1,
                                             bbox=given))
    assert out['bbox'] is given
    # per-person file (MHP-v2): R channel, box from its pixels
    out = LoadPersonParsingAnnotation()(dict(base, seg_map_path=paths['p2'], human_map_path=None,
                                             parsing_id=2, bbox=None, num_classes=59))
    assert set(np.unique(out['gt_seg_map'])) == {0, 9}
    np.testing.assert_allclose(out['bbox'], [4.5, 9.5, 34.5, 27.5])
    with pytest.raises(ValueError, match=r'parsing_id=2 does not occur .*human\.png'):
        LoadPersonParsingAnnotation()(dict(base, seg_map_path=paths['cat'],
                                           human_map_path=paths['human'], parsing_id=2))
    with pytest.raises(ValueError, match=r'values \[14\] are outside the 10 classes'):
        LoadPersonParsingAnnotation()(dict(base, seg_map_path=paths['cat'], num_classes=10,
                                           human_map_path=paths['human'], parsing_id=1))
    with pytest.raises(ValueError, match=r'human\.png: size 40x30 .* does not match'):
        LoadPersonParsingAnnotation()(dict(base, seg_map_path=paths['cat'], ori_shape=(31, 40),
                                           human_map_path=paths['human'], parsing_id=1))
    with pytest.raises(FileNotFoundError, match='label file not found: .*nope.png'):
        LoadPersonParsingAnnotation()(dict(base, seg_map_path='nope.png', human_map_path=None,
                                           parsing_id=1))


def test_load_multi_person_annotations(label_files):
    paths, cat, human = label_files
    base = dict(ori_shape=(30, 40), num_classes=20, seg_fields=[], img_path='x.jpg')
    out = LoadMultiPersonAnnotations()(dict(base, seg_map_path=paths['cat'],
                                            human_map_path=paths['human'], bboxes=None))
    np.testing.assert_array_equal(out['gt_seg_map'], cat)
    np.testing.assert_array_equal(out['gt_instance_map'], human)
    assert out['seg_fields'] == ['gt_seg_map', 'gt_instance_map']
    np.testing.assert_allclose(out['bboxes'], [[2.5, 1.5, 8.5, 11.5], [19.5, 4.5, 29.5, 24.5]])
    assert out['bboxes'].dtype == np.float32 and out['bbox_scores'].tolist() == [1.0, 1.0]
    dets = np.array([[0., 0., 5., 5.]], np.float32)
    out = LoadMultiPersonAnnotations()(dict(base, seg_map_path=paths['cat'],
                                            human_map_path=paths['human'], bboxes=dets,
                                            bbox_scores=np.array([0.7], np.float32)))
    assert out['bboxes'] is dets and out['bbox_scores'].tolist() == [pytest.approx(0.7)]
    # per-person files: person 2 overlaps person 1 and wins there
    out = LoadMultiPersonAnnotations()(dict(base, seg_map_path=None, person_ids=[1, 2],
                                            human_map_path=[paths['p1'], paths['p2']],
                                            bboxes=None, num_classes=59))
    hm, cm = out['gt_instance_map'], out['gt_seg_map']
    assert hm[3, 4] == 1 and cm[3, 4] == 8 and hm[11, 8] == 2 and cm[11, 8] == 9
    assert hm[0, 0] == 0 and cm[0, 0] == 0
    np.testing.assert_allclose(out['bboxes'], [[2.5, 1.5, 8.5, 11.5], [4.5, 9.5, 34.5, 27.5]])
    with pytest.raises(ValueError, match='2 person files but 1 person_ids'):
        LoadMultiPersonAnnotations()(dict(base, person_ids=[1], seg_map_path=None,
                                          human_map_path=[paths['p1'], paths['p2']]))


def test_bbox_center_scale():
    out = PersonBBoxCenterScale(input_size=(384, 512))(dict(bbox=np.array([10, 20, 50, 60.])))
    np.testing.assert_allclose(out['bbox_center'], [30, 40])
    np.testing.assert_allclose(out['bbox_scale'], [50, 50 / 0.75], rtol=1e-6)
    assert out['bbox_center'].dtype == out['bbox_scale'].dtype == np.float32
    with pytest.raises(KeyError, match='no bbox'):
        PersonBBoxCenterScale()(dict(bbox=None, img_path='a.jpg'))


def test_flip_swaps_labels_and_twice_is_identity():
    results = PersonBBoxCenterScale(input_size=(48, 64))(person_results())
    orig = {k: np.copy(v) for k, v in results.items() if isinstance(v, np.ndarray)}
    flip = PersonRandomFlip(prob=1.0)
    once = flip({k: (np.copy(v) if isinstance(v, np.ndarray) else v) for k, v in results.items()})
    assert once['flip'] and once['flip_direction'] == 'horizontal'
    w = orig['img'].shape[1]
    np.testing.assert_array_equal(once['img'], orig['img'][:, ::-1])
    # mirrored, and left-arm (14) <-> right-arm (15) swapped
    mirrored = orig['gt_seg_map'][:, ::-1]
    swapped = mirrored.copy()
    swapped[mirrored == 14], swapped[mirrored == 15] = 15, 14
    np.testing.assert_array_equal(once['gt_seg_map'], swapped)
    np.testing.assert_allclose(once['bbox_center'],
                               [w - 1 - orig['bbox_center'][0], orig['bbox_center'][1]])
    np.testing.assert_allclose(once['bbox'], [w - 1 - 44.5, 9.5, w - 1 - 19.5, 49.5])
    twice = flip(once)
    for key in ('img', 'gt_seg_map', 'bbox_center', 'bbox'):
        np.testing.assert_array_equal(twice[key], orig[key])
    # the flipped box still holds the flipped person: crop of the flip == flip of the crop
    affine = PersonAffine(input_size=(48, 64))
    a = affine({k: (np.copy(v) if isinstance(v, np.ndarray) else v) for k, v in results.items()})
    b = affine(flip({k: (np.copy(v) if isinstance(v, np.ndarray) else v)
                     for k, v in results.items()}))
    crop_mirror = a['gt_seg_map'][:, ::-1].copy()
    crop_swapped = crop_mirror.copy()
    crop_swapped[crop_mirror == 14], crop_swapped[crop_mirror == 15] = 15, 14
    assert (b['gt_seg_map'] == crop_swapped).mean() > 0.99
    # no flip pairs (PASCAL-Person-Part): labels only mirrored
    out = PersonRandomFlip(prob=1.0)(dict(person_results(), flip_pairs=[]))
    np.testing.assert_array_equal(out['gt_seg_map'], person_results()['gt_seg_map'][:, ::-1])
    assert PersonRandomFlip(prob=0.0)(person_results())['flip'] is False


def test_random_scale_rotate_follows_qanet():
    np.random.seed(0)
    t = PersonRandomScaleRotate()  # QANet: 0.3, 40 degrees, p = 0.6
    scales, rots = [], []
    for _ in range(3000):
        out = t(dict(bbox_scale=np.array([30., 40.], np.float32)))
        scales.append(out['bbox_scale'][0] / 30.)
        rots.append(out['bbox_rotation'])
        assert out['bbox_scale'][0] / out['bbox_scale'][1] == pytest.approx(0.75)
    scales, rots = np.array(scales), np.array(rots)
    assert scales.min() >= 0.7 - 1e-6 and scales.max() <= 1.3 + 1e-6
    assert abs(np.median(scales) - 1) < 0.03 and np.isclose(scales, 1.3).sum() > 50
    assert abs((rots == 0).mean() - 0.4) < 0.04
    nonzero = rots[rots != 0]
    assert np.abs(nonzero).max() <= 80 and np.abs(nonzero).max() > 40
    assert abs(nonzero.std() - 40) < 5
    with pytest.raises(ValueError):
        PersonRandomScaleRotate(scale_factor=1.5)


def test_person_affine_matches_cv2_and_records_crop():
    results = PersonBBoxCenterScale(input_size=(48, 64))(person_results())
    results['bbox_rotation'] = 30.0
    center, scale = results['bbox_center'].copy(), results['bbox_scale'].copy()
    img, seg = results['img'].copy(), results['gt_seg_map'].copy()
    out = PersonAffine(input_size=(48, 64))(results)
    m = get_affine_matrix(np.float64(center)[None], np.float64(scale)[None], [30.0],
                          (48, 64))[0].numpy()
    np.testing.assert_array_equal(out['img'], cv2.warpAffine(img, m, (48, 64),
                                                             flags=cv2.INTER_LINEAR))
    np.testing.assert_array_equal(
        out['gt_seg_map'], cv2.warpAffine(seg, m, (48, 64), flags=cv2.INTER_NEAREST,
                                          borderValue=255))
    assert out['img'].shape == (64, 48, 3) and out['img_shape'] == (64, 48)
    assert out['gt_seg_map'].dtype == np.uint8
    assert out['input_size'] == (48, 64) and out['input_rotation'] == 30.0
    np.testing.assert_array_equal(out['input_center'], center)
    np.testing.assert_array_equal(out['input_scale'], scale)
    # a region reaching past the image: the label border is ignore (255), the image border 0
    far = PersonAffine(input_size=(48, 64))(dict(
        img=img.copy(), gt_seg_map=seg.copy(), seg_fields=['gt_seg_map'],
        bbox_center=np.array([2., 30.], np.float32), bbox_scale=np.array([60., 80.], np.float32)))
    assert (far['gt_seg_map'][:, :10] == 255).all() and (far['img'][:, :10] == 0).all()
    assert (far['gt_seg_map'][12:50, 30:] != 255).all()


def test_transform_reprs():
    for t in (LoadPersonParsingAnnotation(), LoadMultiPersonAnnotations(),
              PersonBBoxCenterScale(), PersonRandomScaleRotate(), PersonAffine()):
        assert type(t).__name__ in repr(t)
