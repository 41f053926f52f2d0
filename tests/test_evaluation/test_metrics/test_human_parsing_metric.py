"""HumanParsingMetric: hand-computed numbers, mmseg IoUMetric parity, distributed collection."""
import pickle
import re
import uuid

import numpy as np
import pytest
import torch
import torch.distributed as dist
from mmengine.evaluator import Evaluator
from mmengine.logging import MMLogger
from mmengine.structures import PixelData
from mmseg.evaluation import IoUMetric
from mmseg.structures import SegDataSample

from hp_mm.evaluation import HumanParsingMetric
from hp_mm.evaluation.functional import parsing_scores
from hp_mm.registry import METRICS
from conftest import evaluate_on_rank, free_port, shard_indices

CLASSES = ('Background', 'Left-arm', 'Right-arm')
META = dict(classes=CLASSES, flip_pairs=((1, 2), ))


def _data_sample(gt, pred, attributes=None, img_path=None):
    """A data sample as the model returns it (mmseg's SegDataSample)."""
    sample = SegDataSample()
    sample.gt_sem_seg = PixelData(data=torch.as_tensor(gt, dtype=torch.long)[None])
    sample.pred_sem_seg = PixelData(data=torch.as_tensor(pred, dtype=torch.long)[None])
    meta = {}
    if attributes is not None:
        meta['attributes'] = attributes
    if img_path is not None:
        meta['img_path'] = img_path
    sample.set_metainfo(meta)
    return sample


def _hand_samples():
    """Three 2x3 samples (classes: 0 background, 1 left arm, 2 right arm).

    Confusions (rows gt, cols pred):
        A: [[2,0,0],[0,1,1],[0,0,2]]   occlusion
        B: [[2,0,0],[0,0,2],[0,1,1]]   occlusion, back_view
        C: [[4,1,0],[0,0,0],[0,0,0]]   no attributes, no person pixel (one ignored)
    """
    a = _data_sample([[0, 1, 1], [0, 2, 2]], [[0, 1, 2], [0, 2, 2]],
                     attributes=dict(occlusion=True, back_view=False, lower_body=True))
    b = _data_sample([[1, 1, 0], [2, 2, 0]], [[2, 2, 0], [1, 2, 0]],
                     attributes=dict(occlusion=True, back_view=True, full_body=False))
    c = _data_sample([[0, 0, 0], [0, 0, 255]], [[0, 0, 1], [0, 0, 0]])
    return [a, b, c]


# Hand-computed from the confusions above.
# all:        [[8,1,0],[0,1,3],[0,1,3]]  IoU 8/(9+8-8), 1/(4+3-1), 3/(4+6-3) = 8/9, 1/6, 3/7
#             -> 49.47 ; Acc 8/9, 1/4, 3/4 -> 62.96
#             aAcc 12/17 = 70.59 ; LR: (3 + 1) / (4 + 4) = 50
# occlusion:  A+B [[4,0,0],[0,1,3],[0,1,3]]  IoU 1, 1/5, 3/7 -> 54.29
# back_view:  B   [[2,0,0],[0,0,2],[0,1,1]]  IoU 1, 0, 1/4 -> 41.67
# small:      A+B (C has no person pixel: size bin 'none')
HAND_METRICS = {
    'aAcc': 70.59, 'mIoU': 49.47, 'mAcc': 62.96,
    'mIoU_occlusion': 54.29, 'mIoU_back_view': 41.67,
    'mIoU_small': 54.29, 'LR_confusion': 50.0
}


def _make_metric(meta=META, **kwargs):
    metric = HumanParsingMetric(**kwargs)
    metric.dataset_meta = dict(meta)
    return metric


def test_hand_made_breakdowns():
    metric = _make_metric()
    samples = [s.to_dict() for s in _hand_samples()]
    metric.process({}, samples)
    # exactly one small item per sample
    assert len(metric.results) == 3
    item = metric.results[0]
    assert set(item) == {'confusion', 'size_bin', 'attributes'}
    assert item['confusion'].dtype == np.int64
    assert item['confusion'].tolist() == [[2, 0, 0], [0, 1, 1], [0, 0, 2]]
    assert item['size_bin'] == 'small'
    assert item['attributes'] == dict(occlusion=True, back_view=False)  # unknown names dropped
    assert metric.results[1]['confusion'].tolist() == [[2, 0, 0], [0, 0, 2], [0, 1, 1]]
    assert metric.results[2]['confusion'].tolist() == [[4, 1, 0], [0, 0, 0], [0, 0, 0]]
    assert metric.results[2]['size_bin'] == 'none'
    assert metric.results[2]['attributes'] == {}

    res = metric.evaluate(3)
    assert res == HAND_METRICS
    # the static entry point gives the same numbers without a runner
    preds = [s.pred_sem_seg.data[0] for s in _hand_samples()]
    gts = [s.gt_sem_seg.data[0] for s in _hand_samples()]
    attrs = [s.get('attributes') for s in _hand_samples()]
    assert HumanParsingMetric.calculate(preds, gts, 3, attributes=attrs,
                                        flip_pairs=[(1, 2)]) == HAND_METRICS


def test_switches_and_missing_flip_pairs():
    samples = [s.to_dict() for s in _hand_samples()]
    metric = _make_metric(attributes=(), size_bins=False, report_mirror=False)
    metric.process({}, samples)
    assert metric.evaluate(3) == {'aAcc': 70.59, 'mIoU': 49.47, 'mAcc': 62.96}
    metric = _make_metric(meta=dict(classes=CLASSES), attributes='back_view')
    metric.process({}, samples)
    assert metric.evaluate(3) == {
        'aAcc': 70.59, 'mIoU': 49.47, 'mAcc': 62.96, 'mIoU_back_view': 41.67, 'mIoU_small': 54.29
    }


def test_perfect_prediction_and_size_bins():
    gts = []
    for side in (152, 153, 321):
        gt = torch.zeros(330, 330, dtype=torch.long)
        gt[:side, :side] = 1
        gt[:side // 2, :side // 2] = 2
        gts.append(gt)
    metric = _make_metric()
    metric.process({}, [_data_sample(g, g).to_dict() for g in gts])
    assert [r['size_bin'] for r in metric.results] == ['small', 'medium', 'large']
    assert metric.evaluate(3) == {
        'aAcc': 100.0, 'mIoU': 100.0, 'mAcc': 100.0, 'mIoU_small': 100.0, 'mIoU_medium': 100.0,
        'mIoU_large': 100.0, 'LR_confusion': 0.0
    }


def test_registry_and_keys():
    metric = METRICS.build(dict(type='HumanParsingMetric', ignore_index=255))
    assert isinstance(metric, HumanParsingMetric)
    assert metric.prefix is None  # keys comparable with IoUMetric's
    metric = METRICS.build(dict(type='HumanParsingMetric', prefix='lip'))
    metric.dataset_meta = dict(META)
    metric.process({}, [s.to_dict() for s in _hand_samples()])
    assert metric.evaluate(3)['lip/mIoU'] == 49.47


def test_logs_class_table_and_counts(capsys):
    MMLogger.get_instance(f'test_hp_metric_{uuid.uuid4().hex}')  # a logger printing to capsys
    metric = _make_metric()
    metric.process({}, [s.to_dict() for s in _hand_samples()])
    metric.evaluate(3)
    out = capsys.readouterr().out
    assert 'per class results' in out
    for name in CLASSES:
        assert name in out
    assert '88.89' in out  # IoU of Background, 8 / 9
    assert 'attributes found on 2 of 3 images' in out
    assert re.search(r'\|\s*occlusion\s*\|\s*2\s*\|\s*54.29\s*\|', out)
    assert re.search(r'\|\s*back_view\s*\|\s*1\s*\|\s*41.67\s*\|', out)
    assert re.search(r'\|\s*full_body\s*\|\s*0\s*\|\s*-\s*\|', out)
    assert re.search(r'\|\s*Left-arm\s*\|\s*Right-arm\s*\|\s*50.0\s*\|', out)


def test_bad_inputs_name_the_field():
    metric = _make_metric()
    bad_shape = _data_sample(np.zeros((2, 3)), np.zeros((3, 2)), img_path='x/img_1.jpg')
    with pytest.raises(ValueError, match=r'x/img_1.jpg: pred and gt must have the same shape'):
        metric.process({}, [bad_shape.to_dict()])
    bad_gt = _data_sample([[0, 7, 1]], [[0, 1, 1]], img_path='x/img_2.jpg')
    with pytest.raises(ValueError, match=r'x/img_2.jpg: gt has values outside \[0, 3\).*\[7\]'):
        metric.process({}, [bad_gt.to_dict()])
    bad_pred = _data_sample([[0, 1, 1]], [[0, 3, 1]])
    with pytest.raises(ValueError, match=r'^pred has values outside \[0, 3\).*\[3\]'):
        metric.process({}, [bad_pred.to_dict()])
    bad_attr = _data_sample([[0, 1, 1]], [[0, 1, 1]], attributes=['occlusion'])
    with pytest.raises(TypeError, match='attributes'):
        metric.process({}, [bad_attr.to_dict()])
    assert metric.results == []
    # a one-pixel-high map survives IoUMetric's squeeze()
    metric.process({}, [_data_sample([[0, 1, 1]], [[0, 1, 2]]).to_dict()])
    assert metric.results[0]['confusion'].tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 0]]
    assert metric.results[0]['size_bin'] == 'small'
    metric.results.clear()
    with pytest.raises(ValueError, match='shape'):
        metric.compute_metrics([dict(confusion=np.zeros((4, 4), np.int64))])


def _random_samples(num, num_classes, seed, shapes=((37, 53), (64, 48), (20, 90))):
    """Random predictions with ignored gt pixels, a predicted-only class (C-2) and a
    class absent from both gt and prediction (C-1)."""
    g = torch.Generator().manual_seed(seed)
    samples = []
    for i in range(num):
        h, w = shapes[i % len(shapes)]
        gt = torch.randint(0, num_classes - 2, (h, w), generator=g)
        gt[torch.rand(h, w, generator=g) < 0.1] = 255
        pred = torch.randint(0, num_classes - 1, (h, w), generator=g)
        keep = (torch.rand(h, w, generator=g) < 0.6) & (gt != 255)
        pred[keep] = gt[keep]
        attrs = dict(occlusion=bool(i % 2), back_view=(i % 3 == 0))
        samples.append(_data_sample(gt, pred, attributes=attrs, img_path=f'img_{i}.jpg'))
    return samples


def test_equals_mmseg_iou_metric():
    num_classes = 20
    classes = tuple(f'c{i}' for i in range(num_classes))
    samples = _random_samples(7, num_classes, seed=0)

    ours = _make_metric(meta=dict(classes=classes))
    ours.process({}, [s.to_dict() for s in samples])
    confusions = [r['confusion'] for r in ours.results]
    ours_res = ours.evaluate(len(samples))

    theirs = IoUMetric(iou_metrics=['mIoU'])
    theirs.dataset_meta = dict(classes=classes)
    theirs.process({}, [s.to_dict() for s in samples])
    areas = [tuple(a.clone() for a in r) for r in theirs.results]
    theirs_res = theirs.evaluate(len(samples))

    for key in ('aAcc', 'mIoU', 'mAcc'):
        assert ours_res[key] == pytest.approx(float(theirs_res[key]), abs=1e-4), key
    # per class, before and after rounding
    areas = [sum(a) for a in zip(*areas)]
    per_class = IoUMetric.total_area_to_metrics(*areas, metrics=['mIoU'])
    scores = parsing_scores(sum(confusions), decimals=None)
    assert np.isnan(per_class['IoU'][-1]) and np.isnan(scores['IoU'][-1])
    assert scores['IoU'][-2] == 0.0 and np.isnan(scores['Acc'][-2])
    for key in ('IoU', 'Acc'):
        np.testing.assert_allclose(scores[key], per_class[key] * 100, rtol=1e-5, equal_nan=True)
        np.testing.assert_allclose(
            parsing_scores(sum(confusions))[key], np.round(per_class[key] * 100, 2), atol=1e-4,
            equal_nan=True)


def test_shards_interleaved_equal_single_process():
    classes = tuple(f'c{i}' for i in range(6))
    samples = [s.to_dict() for s in _random_samples(5, 6, seed=1)]
    single = _make_metric(meta=dict(classes=classes))
    single.process({}, samples)
    expected = single.evaluate(len(samples))

    parts = []
    for rank in range(2):
        metric = _make_metric(meta=dict(classes=classes))
        for i in shard_indices(5, rank, 2):  # rank 1 ends with the padding sample 0
            metric.process({}, [samples[i]])
        parts.append(metric.results)
    # what mmengine's collect_results does: interleave the ranks, drop padding by count
    collected = [item for items in zip(*parts) for item in items][:5]
    assert _make_metric(meta=dict(classes=classes)).compute_metrics(collected) == expected
    assert 'mIoU_occlusion' in expected and 'mIoU_back_view' in expected


@pytest.mark.skipif(not (dist.is_available() and dist.is_gloo_available()), reason='needs gloo')
def test_two_process_gloo_equals_single_process(tmp_path, spawn_ranks):
    classes = tuple(f'c{i}' for i in range(8))
    meta = dict(classes=classes, flip_pairs=((1, 2), (3, 4)))
    samples = _random_samples(7, 8, seed=2)  # 7 samples: rank 1 gets one padding sample

    evaluator = Evaluator(HumanParsingMetric())
    evaluator.dataset_meta = meta
    evaluator.process(samples)
    expected = evaluator.evaluate(len(samples))
    assert {'mIoU_occlusion', 'mIoU_back_view', 'mIoU_small', 'LR_confusion'} <= set(expected)

    spawn_ranks(evaluate_on_rank,
                args=(2, free_port(), dict(type='HumanParsingMetric'), meta, samples, str(tmp_path)))
    for rank in range(2):  # rank 0 computes, then broadcasts to every rank
        with open(tmp_path / f'rank{rank}.pkl', 'rb') as f:
            assert pickle.load(f) == expected


def test_output_dir_and_format_only_write_lip_label_pngs(tmp_path):
    import cv2
    samples = _hand_samples()
    for i, s in enumerate(samples):
        s.set_metainfo(dict(img_path=f'/data/LIP/val_images/10000{i}_1.jpg'))
    # output_dir alone: the PNGs are written and the numbers are unchanged
    metric = _make_metric(output_dir=str(tmp_path / 'eval'))
    metric.process({}, [s.to_dict() for s in samples])
    assert metric.evaluate(3) == HAND_METRICS
    for i, s in enumerate(samples):
        png = cv2.imread(str(tmp_path / 'eval' / f'10000{i}_1.png'), cv2.IMREAD_UNCHANGED)
        assert png.dtype == np.uint8
        np.testing.assert_array_equal(png, s.pred_sem_seg.data[0].numpy())
    # format_only: a test-server submission, no ground truth needed, nothing scored
    metric = _make_metric(format_only=True, output_dir=str(tmp_path / 'sub'))
    no_gt = [s.to_dict() for s in samples]
    for s in no_gt:
        del s['gt_sem_seg']
    metric.process({}, no_gt)
    assert metric.evaluate(3) == {}
    assert sorted(p.name for p in (tmp_path / 'sub').iterdir()) == [
        '100000_1.png', '100001_1.png', '100002_1.png']
    with pytest.raises(ValueError, match='output_dir'):
        HumanParsingMetric(format_only=True)
