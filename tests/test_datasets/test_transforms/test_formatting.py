"""PackMultiPersonParsingInputs: whole-image sample with boxes and the human-id map."""
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData, PixelData
from mmseg.structures import SegDataSample

from hp_mm.datasets.transforms import PackMultiPersonParsingInputs


def results(n=2):
    rng = np.random.default_rng(0)
    human = np.zeros((20, 30), np.uint8)
    human[2:10, 3:9], human[5:18, 12:25] = 1, 2
    return dict(img=rng.integers(0, 256, (20, 30, 3), dtype=np.uint8),
                gt_seg_map=np.where(human > 0, 5, 0).astype(np.uint8), gt_instance_map=human,
                bboxes=np.array([[2.5, 1.5, 8.5, 9.5], [11.5, 4.5, 24.5, 17.5]][:n], np.float64),
                bbox_scores=np.array([1.0, 0.5][:n]), img_path='a.jpg', ori_shape=(20, 30),
                img_shape=(20, 30), flip_pairs=[(14, 15)], num_classes=20, img_id=7,
                seg_fields=['gt_seg_map', 'gt_instance_map'])


def test_pack_shapes_dtypes_and_meta():
    r = results()
    out = PackMultiPersonParsingInputs()(dict(r))
    inputs, ds = out['inputs'], out['data_samples']
    assert inputs.shape == (3, 20, 30) and inputs.dtype == torch.uint8
    assert torch.equal(inputs.permute(1, 2, 0), torch.from_numpy(r['img']))
    assert isinstance(ds, SegDataSample)
    assert isinstance(ds.gt_sem_seg, PixelData) and ds.gt_sem_seg.data.shape == (1, 20, 30)
    assert ds.gt_sem_seg.data.dtype == torch.int64
    assert isinstance(ds.gt_instance_map, PixelData)
    assert ds.gt_instance_map.data.dtype == torch.int64
    assert torch.equal(ds.gt_instance_map.data[0], torch.from_numpy(r['gt_instance_map']).long())
    assert isinstance(ds.person_boxes, InstanceData) and len(ds.person_boxes) == 2
    assert ds.person_boxes.bboxes.dtype == ds.person_boxes.scores.dtype == torch.float32
    torch.testing.assert_close(ds.person_boxes.scores, torch.tensor([1.0, 0.5]))
    torch.testing.assert_close(ds.person_boxes.bboxes, torch.from_numpy(r['bboxes']).float())
    meta = ds.metainfo
    assert meta['img_path'] == 'a.jpg' and meta['ori_shape'] == meta['img_shape'] == (20, 30)
    assert meta['flip_pairs'] == [(14, 15)] and meta['num_classes'] == 20 and meta['img_id'] == 7


def test_pack_no_person_and_default_scores():
    r = dict(results(), bboxes=np.zeros((0, 4)), bbox_scores=None)
    ds = PackMultiPersonParsingInputs()(r)['data_samples']
    assert ds.person_boxes.bboxes.shape == (0, 4) and ds.person_boxes.scores.shape == (0, )
    r = dict(results(), bbox_scores=None)
    assert PackMultiPersonParsingInputs()(r)['data_samples'].person_boxes.scores.tolist() == [1, 1]


def test_pack_errors():
    with pytest.raises(KeyError, match='no person boxes .*a.jpg'):
        PackMultiPersonParsingInputs()(dict(results(), bboxes=None))
    with pytest.raises(ValueError, match='2 boxes but 1 bbox_scores'):
        PackMultiPersonParsingInputs()(dict(results(), bbox_scores=np.ones(1)))
