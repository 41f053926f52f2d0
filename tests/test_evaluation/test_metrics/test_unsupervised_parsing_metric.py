import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from hp_mm.evaluation import UnsupervisedParsingMetric

META = dict(classes=('background', 'upper-body', 'lower-body'))


def _sample(gt, pred):
    s = SegDataSample()
    s.gt_sem_seg = PixelData(data=torch.as_tensor(gt)[None])
    s.pred_sem_seg = PixelData(data=torch.as_tensor(pred)[None])
    return s.to_dict()


def _samples(relabel=(0, 1, 2)):
    """Two 2x4 images; the cluster ids go through ``relabel``."""
    lut = torch.tensor(relabel)
    gt1 = torch.tensor([[0, 0, 1, 1], [0, 2, 2, 255]])
    pr1 = torch.tensor([[0, 0, 1, 1], [1, 2, 2, 0]])
    gt2 = torch.tensor([[1, 1, 1, 0], [2, 2, 0, 0]])
    pr2 = torch.tensor([[1, 1, 2, 0], [2, 2, 0, 0]])
    return [_sample(gt1, lut[pr1]), _sample(gt2, lut[pr2])]


def _evaluate(samples, **kwargs):
    metric = UnsupervisedParsingMetric(**kwargs)
    metric.dataset_meta = META
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def test_hand_computed_metric():
    res = _evaluate(_samples())
    # histogram over both images (rows gt, cols clusters; the 255 pixel dropped):
    # class 0: [5, 1, 0]; class 1: [0, 4, 1]; class 2: [0, 0, 4] -> identity matching
    # tp (5, 4, 4) of 15 pixels; IoU 5/6, 4/6, 4/5
    assert res['acc'] == pytest.approx(round(100 * 13 / 15, 2))
    assert res['IoU.background'] == pytest.approx(round(100 * 5 / 6, 2))
    assert res['IoU.upper-body'] == pytest.approx(round(100 * 4 / 6, 2))
    assert res['IoU.lower-body'] == pytest.approx(round(100 * 4 / 5, 2))
    assert res['mIoU'] == pytest.approx(round(100 * (5 / 6 + 4 / 6 + 4 / 5) / 3, 2))


def test_invariant_to_relabelling_clusters():
    ref = _evaluate(_samples())
    for relabel in ((2, 0, 1), (1, 2, 0), (0, 2, 1)):
        assert _evaluate(_samples(relabel)) == ref


def test_matching_is_once_over_the_whole_set():
    """Image 1 uses cluster 0 for class 0, image 2 uses cluster 1 for it: per-image
    matching would score 100 %, the set-level matching cannot."""
    a = _sample(torch.tensor([[0, 0, 1]]), torch.tensor([[0, 0, 1]]))
    b = _sample(torch.tensor([[0, 0, 1]]), torch.tensor([[1, 1, 0]]))
    res = _evaluate([a, b], num_clusters=2)
    # hist class0 [2, 2], class1 [1, 1] (+ class 2 empty): 3 of 6 pixels matched
    assert res['acc'] == pytest.approx(50.0)
    res = _evaluate([a, b], num_clusters=2, many_to_one=True)
    assert res['acc'] == pytest.approx(round(100 * 4 / 6, 2))


def test_out_of_range_cluster_names_the_image():
    s = _sample(torch.tensor([[0, 1]]), torch.tensor([[0, 5]]))
    s['img_path'] = 'x/img_7.jpg'
    with pytest.raises(ValueError, match='img_7.jpg'):
        _evaluate([s])


def test_rank_shards_summed_equal_one_process():
    """What mmengine's collect_results hands compute_metrics on 2 ranks: both shards'
    per-sample histograms; the sum is matched once, as in one process."""
    g = torch.Generator().manual_seed(0)
    samples = []
    for _ in range(5):
        gt = torch.randint(0, 3, (6, 5), generator=g)
        pred = torch.where(torch.rand(6, 5, generator=g) < 0.7, (gt + 1) % 3,
                           torch.randint(0, 3, (6, 5), generator=g))
        samples.append(_sample(gt, pred))
    ref = _evaluate(samples)
    shards = []
    for rank in range(2):
        metric = UnsupervisedParsingMetric()
        metric.dataset_meta = META
        metric.process({}, samples[rank::2])
        shards.append(metric.results)
    merged = UnsupervisedParsingMetric()
    merged.dataset_meta = META
    assert merged.compute_metrics(shards[0] + shards[1]) == ref
    assert ref['acc'] > 60  # the (gt + 1) % 3 relabelling is matched back
    one = UnsupervisedParsingMetric.calculate(shards[0] + shards[1])
    assert one['hist'].sum() == 5 * 30 and one['cluster_to_class'].tolist() == [2, 0, 1]
