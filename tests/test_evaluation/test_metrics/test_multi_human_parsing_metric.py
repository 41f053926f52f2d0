"""MultiHumanParsingMetric: hand-computed numbers, score variants, parsing NMS, 2-process gloo.

Hand-built scene: ``two_person_scene`` in tests/conftest.py (persons A and B, classes
background, head, left-arm, right-arm; 40 pixels).

The predictions go through the model's own post-processing first
(``TopDownParser.pack_persons`` -> ``qanet_post_process``: QAM rankings, parsing NMS,
semantic map), exactly as ``TopDownParser.predict`` returns them; the metric scores them
as they are. Every expected number is derived by hand below and also checked against
``eval_multi_human_parsing`` on the same persons and scores.
"""
import math
import pickle
import re
import uuid

import cv2
import numpy as np
import pytest
import torch
import torch.distributed as dist
from mmengine.evaluator import Evaluator
from mmengine.logging import MMLogger
from mmengine.structures import InstanceData, PixelData
from mmseg.structures import SegDataSample

from hp_mm.evaluation import MultiHumanParsingMetric
from hp_mm.evaluation.functional import eval_multi_human_parsing
from hp_mm.models.segmentors import TopDownParser
from hp_mm.models.utils import check_score_variants, quality_score
from hp_mm.registry import METRICS
from hp_mm.structures import semantic_map
from conftest import evaluate_on_rank, free_port, two_person_scene

C = 4
CLASSES = ('Background', 'Head', 'Left-arm', 'Right-arm')
META = dict(classes=CLASSES)
KEYS = ('AP_p', 'AP_p50', 'PCP50', 'AP_r', 'AP_r50', 'mIoU')
VARIANTS = dict(qam=(1.0, 0.5, 3.0), box=(1.0, 0.0, 0.0), pixel=(0.0, 0.0, 1.0))


scene = two_person_scene  # (category map, instance map)


def gt_person(pid):
    cat, inst = scene()
    return (cat * (inst == pid)).astype(np.uint8)


def fp_head():
    """A false positive: a head blob on the background (rows 0-1, cols 4-5, 4 px)."""
    parsing = np.zeros((4, 10), dtype=np.uint8)
    parsing[0:2, 4:6] = 1
    return parsing


def swap_arms(parsing):
    out = parsing.copy()
    out[parsing == 2], out[parsing == 3] = 3, 2
    return out


def pred(parsings, box, iou, pix, part_pix=None):
    """pred_instances with the score components (part pixel scores default to pix)."""
    n = len(parsings)
    pix = torch.tensor(pix, dtype=torch.float32)
    part = pix[:, None].repeat(1, C - 1) if part_pix is None else \
        torch.tensor(part_pix, dtype=torch.float32).reshape(n, C - 1)
    return InstanceData(
        bboxes=torch.zeros(n, 4),
        box_scores=torch.tensor(box, dtype=torch.float32),
        iou_scores=torch.tensor(iou, dtype=torch.float32),
        pixel_scores=pix,
        part_pixel_scores=part,
        scores=torch.zeros(n),
        part_scores=torch.zeros(n, C - 1),
        parsings=torch.as_tensor(np.stack(parsings) if n else np.zeros((0, 4, 10), np.uint8)))


def data_sample(pred_instances, gt=None, img_path='img.jpg'):
    cat, inst = scene() if gt is None else gt
    sample = SegDataSample()
    sample.gt_sem_seg = PixelData(data=torch.as_tensor(cat)[None])
    sample.set_field(PixelData(data=torch.as_tensor(inst)[None]), 'gt_instance_map')
    sample.pred_instances = pred_instances
    sample.set_metainfo(dict(img_path=img_path, num_classes=C))
    return sample


#: The model's post-processing settings (QANet's defaults) and the metric's own arguments.
POST_KEYS = ('score_variants', 'score_thr', 'parsing_nms_thr', 'semseg_score_thr')


def post_process(samples, score_variants=VARIANTS, **post_cfg):
    """What ``TopDownParser.predict`` returns: the samples with post-processed predictions."""
    out = []
    for s in samples:
        p = s.pred_instances
        s = s.clone()
        s.pred_instances, s.pred_sem_seg = TopDownParser.pack_persons(
            p.parsings, p.bboxes, p.box_scores, p.iou_scores if 'iou_scores' in p else None,
            p.pixel_scores, p.part_pixel_scores, score_variants=score_variants, **post_cfg)
        out.append(s)
    return out


def make_metric(**kwargs):
    metric = MultiHumanParsingMetric(**kwargs)
    metric.dataset_meta = dict(META)
    return metric


def run(samples, **kwargs):
    """Post-process with the ``POST_KEYS`` of ``kwargs`` (``miou_score_thr`` is the model's
    ``semseg_score_thr``), then evaluate with the metric's own arguments."""
    if 'miou_score_thr' in kwargs:
        kwargs['semseg_score_thr'] = kwargs.pop('miou_score_thr')
    post_cfg = {k: kwargs.pop(k) for k in POST_KEYS if k in kwargs}
    metric = make_metric(**kwargs)
    metric.process({}, [s.to_dict() for s in post_process(samples, **post_cfg)])
    return metric, metric.evaluate(len(samples))


def reference(samples, weights, score_thr=0.01, miou_score_thr=0.3):
    """eval_multi_human_parsing on the same persons, scores from quality_score (no NMS)."""
    preds, gts = [], []
    for s in samples:
        p = s.pred_instances
        scores = quality_score(p.box_scores.double(), p.iou_scores.double(),
                               p.pixel_scores.double(), weights)
        parts = quality_score(p.box_scores.double()[:, None], p.iou_scores.double()[:, None],
                              p.part_pixel_scores.double(), weights)
        preds.append([
            dict(parsing=p.parsings[i].numpy(), score=float(scores[i]),
                 part_scores=parts[i].numpy(), semseg_score=float(p.box_scores[i]))
            for i in range(len(p))
        ])
        gts.append(dict(category_map=s.gt_sem_seg.data[0].numpy(),
                        instance_map=s.gt_instance_map.data[0].numpy()))
    return eval_multi_human_parsing(preds, gts, C, score_thr=score_thr,
                                    miou_score_thr=miou_score_thr)


def check(res, expected, variants=VARIANTS, samples=None, prefix='parsing/'):
    """``expected``: {variant: {key: hand value}}; also equal to eval_multi_human_parsing."""
    first = next(iter(variants))
    for name, values in expected.items():
        for key, value in values.items():
            full = f'{prefix}{key}' if name == first else f'{prefix}{name}/{key}'
            assert res[full] == round(value, 2), (full, res[full], value)
        if samples is not None:
            ref = reference(samples, variants[name])
            for key in values:
                assert ref[key] == pytest.approx(values[key], abs=1e-6), (name, key)


def test_perfect_prediction():
    samples = [data_sample(pred([gt_person(1), gt_person(2)], [0.9, 0.8], [0.7, 0.6],
                                [0.95, 0.85]))]
    metric, res = run(samples)
    # every mean part IoU is 1 > every threshold: AP^p, PCP, AP^r = 1 whatever the order;
    # mIoU: n / (n + 1e-10) per class = 100 up to 1e-8 %
    expected = {name: {k: 100.0 for k in KEYS if name == 'qam' or k != 'mIoU'}
                for name in VARIANTS}
    check(res, expected, samples=samples)
    assert len(res) == 6 + 2 * 5  # mIoU only once: the same map for every variant
    # exactly one small item per image: a record per variant, no masks
    assert len(metric.results) == 0  # evaluate() cleared them
    metric.process({}, [s.to_dict() for s in post_process(samples)])
    item = metric.results[0]
    assert list(item) == list(VARIANTS)
    assert item['qam']['confusion'].shape == (C, C)
    # each array is smaller than one 4 x 10 mask: (P, T) flags, (C, C) confusion, ...
    assert all(v.size < 40 for v in item['qam'].values() if isinstance(v, np.ndarray))


def test_missing_person():
    samples = [data_sample(pred([gt_person(1)], [0.9], [0.9], [0.9]))]
    _, res = run(samples)
    # AP^p: 1 TP of 2 gt persons at precision 1 -> 0.5 at every t; PCP50 = (3/3 + 0) / 2
    # AP^r: per class 1 TP region of 2 gt instances -> 0.5
    # mIoU: bg gt 8, pred 8 + 16 (B) = 24, inter 8 -> 1/3; head gt 16 pred 8 -> 1/2;
    #   arms 1/2 each -> (1/3 + 3/2) / 4 = 11/24
    hand = dict(AP_p=50, AP_p50=50, PCP50=50, AP_r=50, AP_r50=50, mIoU=100 * 11 / 24)
    check(res, {'qam': hand, 'box': {k: hand[k] for k in KEYS[:5]}}, samples=samples)


def fp_samples():
    # A: all components .9 -> every variant scores .9; B: all .8 -> .8.
    # FP: box .95, iou .5, pixel .1 -> box variant .95 (first), pixel .1 (last),
    #   qam (.95 * .5^.5 * .1^3)^(1/4.5) = 0.197 (last, above score_thr .01).
    return [data_sample(pred([gt_person(1), gt_person(2), fp_head()], [0.9, 0.8, 0.95],
                             [0.9, 0.8, 0.5], [0.9, 0.8, 0.1]))]


def test_false_positive_and_variants_reorder():
    samples = fp_samples()
    metric = make_metric()
    metric.process({}, [s.to_dict() for s in post_process(samples)])
    rec = metric.results[0]
    fp_qam = math.exp((math.log(0.95) + 0.5 * math.log(0.5) + 3 * math.log(0.1)) / 4.5)
    assert fp_qam == pytest.approx(0.1973, abs=1e-4)
    np.testing.assert_allclose(rec['qam']['person_scores'], [0.9, 0.8, fp_qam], rtol=1e-6)
    np.testing.assert_allclose(rec['box']['person_scores'], [0.9, 0.8, 0.95], rtol=1e-6)
    np.testing.assert_allclose(rec['pixel']['person_scores'], [0.9, 0.8, 0.1], rtol=1e-6)
    # part scores: box variant = box score; pixel variant = category pixel score
    np.testing.assert_allclose(rec['box']['region_scores'][rec['box']['region_classes'] == 1],
                               [0.8, 0.9, 0.95], rtol=1e-6)  # painted order: ascending score
    res = metric.evaluate(1)
    # qam / pixel: A, B TP, then the FP (its best gt A is taken): recall reaches 1 at
    #   precision 1 -> AP^p = AP^r = PCP = 100.
    # box: the FP ranks first. Its mean part IoU with A (bg included) is
    #   bg: gt_A bg 24 px (cols 4-9), FP bg 36, inter 20 -> 20/40; head, arms 0 -> 0.125,
    #   the same with B (tie -> A). t = .1: FP takes A (TP, pcp 0/3), A -> FP, B -> TP:
    #   recall .5 .5 1, precision 1 .5 2/3 -> AP = .5 + .5 * 2/3 = 5/6; t >= .2: FP TP TP
    #   -> AP = 2/3. AP_p = (5/6 + 8 * 2/3) / 9 = 37/54, AP_p50 = 2/3, PCP50 = 2/2.
    #   AP^r: head FP(.95) FP, A TP, B TP -> 2/3; arms 1 -> 8/9.
    # mIoU (box order, FP on background): bg gt 8 pred 4 -> 1/2; head gt 16 pred 20 -> 4/5;
    #   arms 1 -> (0.5 + 0.8 + 2) / 4 = 82.5
    check(res, {
        'qam': dict(AP_p=100, AP_p50=100, PCP50=100, AP_r=100, AP_r50=100, mIoU=82.5),
        'box': dict(AP_p=100 * 37 / 54, AP_p50=100 * 2 / 3, PCP50=100, AP_r=100 * 8 / 9,
                    AP_r50=100 * 8 / 9),
        'pixel': dict(AP_p=100, AP_p50=100, PCP50=100, AP_r=100, AP_r50=100),
    }, samples=samples)
    # the box variant first: its numbers become the plain keys, mIoU unchanged
    _, res = run(samples, score_variants=dict(box=(1, 0, 0), qam=(1, 0.5, 3)), prefix='cihp')
    assert res['cihp/AP_p'] == round(100 * 37 / 54, 2) and res['cihp/qam/AP_p'] == 100
    assert res['cihp/mIoU'] == 82.5


def test_swapped_parts():
    swapped = swap_arms(gt_person(2))
    samples = [data_sample(pred([gt_person(1), swapped], [0.9, 0.8], [0.9, 0.8], [0.9, 0.8]))]
    _, res = run(samples)
    # B' vs B: bg 24/24 -> 1, head 1, left/right arm 0 -> mean 0.5 (vs A: 0.05): B' matches B
    # t = .1 .. .4: TP TP -> 1; t = .5 .. .9: TP FP -> 0.5: AP_p = (4 + 2.5) / 9 = 13/18
    # PCP50 = (1 + 0) / 2; AP^r: head 1, left-arm: A (.9) TP, B' (.8) on B's right arm -> .5,
    #   right-arm .5 -> 2/3; mIoU: bg 1, head 1, each arm 4 / 12 -> (2 + 2/3) / 4 = 2/3
    hand = dict(AP_p=100 * 13 / 18, AP_p50=50, PCP50=50, AP_r=100 * 2 / 3, AP_r50=100 * 2 / 3,
                mIoU=100 * 2 / 3)
    check(res, {'qam': hand, 'pixel': {k: hand[k] for k in KEYS[:5]}}, samples=samples)


def test_parsing_nms_and_thresholds():
    # A twice (.9, .85) and B (.8): without NMS the duplicate is an FP ranked second:
    #   TP FP TP -> recall .5 .5 1, precision 1 .5 2/3 -> AP = .5 + .5 * 2/3 = 5/6 at every t.
    #   AP^r: the duplicate is painted under A (same pixels): no region of its own -> 100.
    # QANet's parsing NMS (mean part IoU 1 >= 0.6) removes the duplicate -> AP^p 100.
    samples = [data_sample(pred([gt_person(1), gt_person(1), gt_person(2)], [0.9, 0.85, 0.8],
                                [1, 1, 1], [1, 1, 1]))]
    _, res = run(samples, parsing_nms_thr=None)
    check(res, {'qam': dict(AP_p=100 * 5 / 6, AP_p50=100 * 5 / 6, PCP50=100, AP_r=100,
                            mIoU=100)}, samples=samples)
    _, res = run(samples)
    check(res, {'qam': dict(AP_p=100, AP_p50=100, PCP50=100, AP_r=100, mIoU=100)})
    # miou_score_thr on the box score: B (.8) left out of the semantic map only ->
    #   mIoU 11/24 as with a missing person; AP unchanged
    _, res = run(samples, miou_score_thr=0.81)
    check(res, {'qam': dict(AP_p=100, AP_r=100, mIoU=100 * 11 / 24)})
    # score_thr on the variant score: B dropped from AP^p/AP^r, kept in the mIoU map
    _, res = run(samples, score_thr=0.81, score_variants=dict(box=(1, 0, 0)))
    check(res, {'box': dict(AP_p=50, PCP50=50, AP_r=50, mIoU=100)},
          variants=dict(box=(1, 0, 0)))
    # an image without any predicted person counts in AP^p only (QANet): A and B missed
    empty = data_sample(pred([], [], [], []))
    _, res = run(samples + [empty], decimals=None)
    assert res['parsing/AP_p'] == pytest.approx(50) and res['parsing/AP_r'] == pytest.approx(100)
    assert res['parsing/mIoU'] == pytest.approx(100)


def test_model_scores_and_calculate():
    samples = fp_samples()
    p = samples[0].pred_instances
    p.scores = torch.tensor([0.3, 0.2, 0.1])
    p.part_scores = torch.tensor([[0.3] * 3, [0.2] * 3, [0.1] * 3])
    # a prediction without rankings: scored with its own scores (semantic map in box order)
    samples[0].pred_sem_seg = PixelData(data=semantic_map(p.parsings, p.box_scores, 0.3)[None])
    metric = make_metric()
    metric.process({}, [s.to_dict() for s in samples])
    res = metric.evaluate(1)
    assert set(res) == {f'parsing/{k}' for k in KEYS}
    assert res['parsing/AP_p'] == 100  # the FP is ranked last by the model's scores
    # the static entry point, without a runner or data samples
    gts = [dict(category_map=scene()[0], instance_map=scene()[1])]
    post = post_process(fp_samples())[0]
    out = MultiHumanParsingMetric.calculate([post.pred_instances.to_dict()],
                                            [post.pred_sem_seg.data], gts, C)
    assert out['box/AP_p'] == round(100 * 37 / 54, 2) and out['AP_p'] == 100
    assert out['mIoU'] == 82.5


def test_registry_prefix_and_table(capsys):
    metric = METRICS.build(dict(type='MultiHumanParsingMetric'))
    assert isinstance(metric, MultiHumanParsingMetric) and metric.prefix == 'parsing'
    MMLogger.get_instance(f'test_mhp_metric_{uuid.uuid4().hex}')  # a logger printing to capsys
    run(fp_samples())
    out = capsys.readouterr().out
    assert re.search(r'\|\s*qam\s*\|\s*1, 0.5, 3\s*\|\s*82.50\s*\|\s*100.00\s*\|', out)
    assert re.search(r'\|\s*box\s*\|\s*1, 0, 0\s*\|\s*82.50\s*\|\s*68.52\s*\|\s*66.67\s*\|'
                     r'\s*100.00\s*\|\s*88.89\s*\|\s*88.89\s*\|', out)
    assert re.search(r'\|\s*Head\s*\|\s*80.00\s*\|\s*100.00\s*\|\s*100.00\s*\|', out)
    assert re.search(r'\|\s*Background\s*\|\s*50.00\s*\|', out)


def test_bad_inputs_name_the_sample():
    metric = make_metric()
    sample = post_process([data_sample(pred([gt_person(1)], [0.9], [0.9], [0.9]),
                                       img_path='x/1.jpg')])[0].to_dict()
    del sample['gt_instance_map']
    with pytest.raises(KeyError, match=r'x/1.jpg: the data sample has no "gt_instance_map"'):
        metric.process({}, [sample])
    bad = post_process([data_sample(pred([gt_person(1)], [0.9], [0.9], [0.9],
                                         part_pix=[0.9, 0.9, 0.9]), img_path='x/2.jpg')])[0]
    bad.pred_instances.variant_part_scores = torch.zeros(1, 3, 5)
    with pytest.raises(ValueError, match=r'x/2.jpg: pred_instances.variant_part_scores has shape'):
        metric.process({}, [bad.to_dict()])
    bad = post_process([data_sample(pred([gt_person(1)], [0.9], [0.9], [0.9]),
                                    img_path='x/3.jpg')])[0].to_dict()
    del bad['pred_instances']['variant_kept']
    with pytest.raises(KeyError, match=r'x/3.jpg: pred_instances has no "variant_kept"'):
        metric.process({}, [bad])
    assert metric.results == []
    # the model's post-processing: iou_scores are needed only when a ranking weighs them
    no_iou = data_sample(pred([gt_person(1)], [0.9], [0.9], [0.9]))
    del no_iou.pred_instances.iou_scores
    with pytest.raises(ValueError, match=r'iou_scores is None'):
        post_process([no_iou])
    make_metric().process({}, [s.to_dict() for s in post_process(
        [no_iou], score_variants=dict(box=(1, 0, 0), pixel=(0, 0, 1)))])
    with pytest.raises(ValueError, match='weights'):
        check_score_variants(dict(qam=(1, 1)))
    with pytest.raises(ValueError, match='names'):
        check_score_variants({'a/b': (1, 1, 1)})
    # the settings that moved from the metric to the model are refused with their new place
    with pytest.raises(TypeError, match=r'model.test_cfg.semseg_score_thr'):
        MultiHumanParsingMetric(miou_score_thr=0.05)
    with pytest.raises(TypeError, match=r'model.test_cfg.score_variants'):
        MultiHumanParsingMetric(score_variants=dict(qam=(1, 1, 1)))


def random_samples(num, seed, size=(24, 32)):
    """Scenes of 0-3 rectangle persons, predictions = noisy gt persons + false positives."""
    rng = np.random.default_rng(seed)
    H, W = size
    samples = []
    for i in range(num):
        cat = np.zeros(size, np.int64)
        inst = np.zeros(size, np.int64)
        for pid in range(1, rng.integers(0, 4) + 1):
            y, x = rng.integers(0, H - 8), rng.integers(0, W - 6)
            h, w = rng.integers(6, 9), rng.integers(4, 7)
            inst[y:y + h, x:x + w] = pid
            cat[y:y + h, x:x + w] = rng.integers(1, C, (h, w))
        cat[rng.random(size) < 0.03] = 255  # ignored gt pixels
        parsings = []
        for pid in range(1, int(inst.max()) + 1):
            if rng.random() < 0.8:
                p = np.where(inst == pid, np.clip(cat, 0, C - 1), 0)
                noise = rng.random(size) < 0.2
                p[noise & (p > 0)] = rng.integers(1, C, int((noise & (p > 0)).sum()))
                parsings.append(p.astype(np.uint8))
        for _ in range(rng.integers(0, 2)):
            p = np.zeros(size, np.uint8)
            y, x = rng.integers(0, H - 4), rng.integers(0, W - 4)
            p[y:y + 4, x:x + 4] = rng.integers(1, C)
            parsings.append(p)
        n = len(parsings)
        r = lambda: rng.uniform(0.05, 1.0, n).tolist()  # noqa: E731
        samples.append(data_sample(pred(parsings, r(), r(), r(), rng.uniform(0, 1, (n, C - 1))),
                                   gt=(cat, inst), img_path=f'img_{i}.jpg'))
    return samples


@pytest.mark.skipif(not (dist.is_available() and dist.is_gloo_available()), reason='needs gloo')
def test_two_process_gloo_equals_single_process(tmp_path, spawn_ranks):
    samples = post_process(random_samples(7, seed=3))  # 7 images: rank 1 gets one padding image
    evaluator = Evaluator(MultiHumanParsingMetric())
    evaluator.dataset_meta = dict(META)
    evaluator.process(samples)
    expected = evaluator.evaluate(len(samples))
    assert len(expected) == 16 and not any(np.isnan(v) for v in expected.values())
    assert expected['parsing/AP_p'] != expected['parsing/box/AP_p']  # the variants differ
    # shards evaluated out of order must not change anything but score ties: same numbers
    spawn_ranks(evaluate_on_rank, args=(2, free_port(), dict(type='MultiHumanParsingMetric'),
                                         dict(META), samples, str(tmp_path)))
    for rank in range(2):  # rank 0 computes, then broadcasts to every rank
        with open(tmp_path / f'rank{rank}.pkl', 'rb') as f:
            assert pickle.load(f) == expected


def test_format_only_writes_the_cihp_layout_that_the_reader_reads_back(tmp_path):
    from mmengine.registry import init_default_scope

    from hp_mm.datasets import CIHPInstanceDataset
    init_default_scope('hp_mm')
    samples = post_process(fp_samples())
    samples[0].set_metainfo(dict(img_path=str(tmp_path / 'src' / '0000007.jpg')))
    split = tmp_path / 'instance-level_human_parsing' / 'Validation'
    metric = make_metric(format_only=True, output_dir=str(split))
    metric.process({}, [s.to_dict() for s in samples])
    assert metric.results == [] and metric.evaluate(1) == {}  # nothing scored, no gt needed
    # the reader needs the image and the id list next to the written maps
    (split / 'Images').mkdir()
    cv2.imwrite(str(split / 'Images' / '0000007.jpg'), np.zeros((4, 10, 3), np.uint8))
    (split / 'val_id.txt').write_text('0000007\n')
    dataset = CIHPInstanceDataset(
        data_root=str(tmp_path / 'instance-level_human_parsing'), ann_file='Validation/val_id.txt',
        data_prefix=dict(img_path='Validation/Images'), data_mode='image',
        pipeline=[dict(type='LoadParsingImageFromFile'), dict(type='LoadMultiPersonAnnotations'),
                  dict(type='PackMultiPersonParsingInputs')])
    info = dataset.get_data_info(0)
    # every kept person, human ids by descending score: A (.9) 1, B (.8) 2, the FP (.197) 3
    assert samples[0].pred_instances.kept.all() and info['person_ids'] == [1, 2, 3]
    packed = dataset[0]['data_samples']
    torch.testing.assert_close(packed.gt_sem_seg.data.long(),
                               samples[0].pred_sem_seg.data.long())
    human = packed.gt_instance_map.data[0]
    cat, inst = scene()
    assert torch.equal(human == 1, torch.as_tensor(inst == 1))  # A's pixels
    assert torch.equal(human == 2, torch.as_tensor(inst == 2))  # B's pixels
    assert int((human == 3).sum()) == 4  # the FP's head blob on the background
    lines = (split / 'Instance_ids' / '0000007.txt').read_text().split('\n')[:-1]
    # regions in (human id, class) order: A head/left/right, B head/left/right, FP head
    assert lines == ['1 1 1', '2 2 1', '3 3 1', '4 1 2', '5 2 2', '6 3 2', '7 1 3']
    with pytest.raises(ValueError, match='output_dir'):
        MultiHumanParsingMetric(format_only=True)
