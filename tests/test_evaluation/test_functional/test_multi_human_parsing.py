"""Multi-person parsing metrics (QANet definitions): hand-computed cases and a loop reference.

Hand-built scene: ``two_person_scene`` in tests/conftest.py (persons A and B, classes
background, head, left-arm, right-arm; 40 pixels).

Ground truth: 2 persons; 6 part instances (2 per class); mIoU map = the category map.
"""
import numpy as np
import pytest
import torch

from conftest import two_person_scene
from hp_mm.evaluation.functional.multi_human_parsing import (IOU_THRESHOLDS, accumulate_image,
                                                             eval_multi_human_parsing,
                                                             summarize, voc_ap)

C = 4
KEYS = ('AP_p', 'AP_p50', 'PCP50', 'AP_r', 'AP_r50', 'mIoU')


def scene():
    cat, inst = two_person_scene()
    return dict(category_map=cat, instance_map=inst)


def person(gt, pid, score, part_scores=None):
    return dict(parsing=gt['category_map'] * (gt['instance_map'] == pid), score=score,
                part_scores=part_scores)


def check(res, expected, abs_tol=1e-6):
    for key, value in expected.items():
        assert res[key] == pytest.approx(value, abs=abs_tol), (key, res[key], value)


def test_perfect_prediction():
    gt = scene()
    res = eval_multi_human_parsing([[person(gt, 1, 0.9), person(gt, 2, 0.8)]], [gt], C)
    # every mean part IoU is 1 > every threshold, both persons TP; PCP 3/3 each.
    # mIoU: IoU_c = n / (n + 1e-10) per class, i.e. 100 up to 1e-8 %.
    check(res, {k: 100.0 for k in KEYS})
    assert set(res) == set(KEYS)


def test_missing_person():
    gt = scene()
    res = eval_multi_human_parsing([[person(gt, 1, 0.9)]], [gt], C)
    # AP^p: 1 TP, 2 gt persons -> recall 0.5 at precision 1 -> AP = 0.5 at every t.
    # PCP50 = (3/3 for A + 0 for the missed B) / 2 = 0.5.
    # AP^r: per class 1 TP region of 2 gt instances -> AP = 0.5.
    # mIoU: bg: gt 8, pred 8 + 16 (B) = 24, inter 8 -> 8/24 = 1/3; head: gt 16, pred 8,
    #   inter 8 -> 1/2; left/right arm: gt 8, pred 4 -> 1/2 each.
    #   mIoU = (1/3 + 3 * 1/2) / 4 = 11/24 = 0.458333
    check(res, dict(AP_p=50, AP_p50=50, PCP50=50, AP_r=50, AP_r50=50, mIoU=100 * 11 / 24))


def fp_person(gt, score, part_scores=None):
    # a false positive: one head blob on the background (rows 0-1, cols 4-5, 4 px)
    parsing = np.zeros_like(gt['category_map'])
    parsing[0:2, 4:6] = 1
    return dict(parsing=parsing, score=score, part_scores=part_scores)


def test_false_positive_ranked_last():
    gt = scene()
    preds = [person(gt, 1, 0.9), person(gt, 2, 0.8), fp_person(gt, 0.5)]
    res = eval_multi_human_parsing([preds], [gt], C)
    # AP^p: TP, TP, then FP (the FP's best gt is A, already taken) -> recall reaches 1
    #   at precision 1 before the FP -> AP = 1 at every t; PCP = 2/2.
    # AP^r: head regions A(.9) TP, B(.8) TP, FP(.5) IoU 0 -> AP 1; arms 1 -> 100.
    # mIoU: bg gt 8, pred 4, inter 4 -> 1/2; head gt 16, pred 20, inter 16 -> 4/5;
    #   arms 1, 1 -> (0.5 + 0.8 + 1 + 1) / 4 = 0.825
    check(res, dict(AP_p=100, AP_p50=100, PCP50=100, AP_r=100, AP_r50=100, mIoU=82.5))


def test_false_positive_ranked_first():
    gt = scene()
    preds = [person(gt, 1, 0.9), person(gt, 2, 0.8), fp_person(gt, 0.95)]
    res = eval_multi_human_parsing([preds], [gt], C, details=True)
    # FP vs A (mean part IoU including background):
    #   bg: gt_A bg = 24 px (cols 4-9), FP bg = 36 px, inter = 24 - 4 = 20,
    #       union = 24 + 36 - 20 = 40 -> 1/2; head 0; arms 0 (gt only) -> mean 0.5/4 = 0.125
    #   vs B: the same 0.125 (tie -> first gt person, A).
    # t = 0.1: 0.125 > 0.1 -> the FP takes A (TP, pcp 0/3), real A -> FP, B -> TP:
    #   TP FP TP: recall .5 .5 1, precision 1 .5 2/3; envelope 1 .667 -> AP = .5*1 + .5*2/3 = 5/6
    # t >= 0.2 (8 thresholds): FP TP TP: recall 0 .5 1, precision 0 .5 2/3;
    #   envelope 2/3 -> AP = .5*2/3 + .5*2/3 = 2/3
    # AP_p = (5/6 + 8 * 2/3) / 9 = 37/54; AP_p50 = 2/3; PCP50 = (A 1 + B 1) / 2 = 1
    # AP^r: head: FP(.95) FP, A(.9) TP, B(.8) TP -> 2/3 at every t; arms 1
    #   -> (2/3 + 1 + 1) / 3 = 8/9
    check(res, dict(AP_p=100 * 37 / 54, AP_p50=100 * 2 / 3, PCP50=100, AP_r=100 * 8 / 9,
                    AP_r50=100 * 8 / 9, mIoU=82.5))
    np.testing.assert_allclose(res['AP_p_per_thr'], [100 * 5 / 6] + [100 * 2 / 3] * 8)
    # PCP at 0.1: the FP's 0/3 + B's 3/3 over 2 gt persons = 1/2
    assert res['PCP_per_thr'][0] == pytest.approx(50)
    # its part score ranks its head region last: AP^r back to 100, AP^p unchanged
    preds[2]['part_scores'] = [0.1, 0.1, 0.1]
    res = eval_multi_human_parsing([preds], [gt], C)
    check(res, dict(AP_p=100 * 37 / 54, AP_r=100, AP_r50=100))


def test_swapped_arms():
    gt = scene()
    swapped = person(gt, 2, 0.8)
    arms = swapped['parsing']
    left, right = arms == 2, arms == 3
    arms[left], arms[right] = 3, 2
    res = eval_multi_human_parsing([[person(gt, 1, 0.9), swapped]], [gt], C, details=True)
    # B' vs B: bg 24/24 -> 1, head 1, left-arm 0 (disjoint), right-arm 0 -> mean 0.5
    # B' vs A: bg inter 8 (cols 4-5) / union 40 = 0.2, parts 0 -> mean 0.05 -> B' matches B.
    # t = .1 .2 .3 .4: 0.5 > t -> TP TP -> AP 1; t = .5 ... .9: TP FP -> AP 0.5
    # AP_p = (4 * 1 + 5 * 0.5) / 9 = 13/18; AP_p50 = 0.5; PCP50 = (1 + 0) / 2 = 0.5
    # PCP at 0.4: B' head IoU 1 > .4, arms 0 -> 1/3; (1 + 1/3) / 2 = 2/3
    # AP^r: head 1; left-arm: A-left (.9) TP, B'-left (.8) on B's right arm IoU 0 -> FP
    #   -> AP .5; right-arm .5 -> (1 + .5 + .5) / 3 = 2/3
    # mIoU: bg 1, head 1, left gt 8 pred 8 inter 4 -> 1/3, right 1/3 -> (8/3) / 4 = 2/3
    check(res, dict(AP_p=100 * 13 / 18, AP_p50=50, PCP50=50, AP_r=100 * 2 / 3,
                    AP_r50=100 * 2 / 3, mIoU=100 * 2 / 3))
    assert res['PCP_per_thr'][3] == pytest.approx(100 * 2 / 3)


def test_absent_class():
    gt = scene()
    preds = [[person(gt, 1, 0.9), person(gt, 2, 0.8)]]
    res = eval_multi_human_parsing(preds, [gt], 5, details=True)
    # class 4 is in neither map.
    # mIoU: IoU_4 = 0 / (0 + 1e-10) = 0 (QANet semseg_eval) -> (1 + 1 + 1 + 1 + 0) / 5 = 0.8
    # AP^p: class 4 is NaN in each mean part IoU and left out -> 100
    # AP^r: class 4 has no gt instance and no region -> AP 0 (QANet: empty recall, VOC
    #   sentinels give 0) -> nanmean(1, 1, 1, 0) = 0.75
    check(res, dict(AP_p=100, AP_p50=100, PCP50=100, AP_r=75, AP_r50=75, mIoU=80))
    assert res['IoU'][4] == 0
    # a class with regions but no gt instance: NaN AP (0/0 recall), left out by nanmean
    fp = fp_person(gt, 0.1)
    fp['parsing'][fp['parsing'] == 1] = 4
    res = eval_multi_human_parsing([preds[0] + [fp]], [gt], 5, details=True)
    assert np.isnan(res['AP_r_per_class'][3]).all()
    check(res, dict(AP_r=100))
    # CIHP_PGN's np.mean over classes propagates it
    assert np.isnan(eval_multi_human_parsing([preds[0] + [fp]], [gt], 5,
                                             class_mean='mean')['AP_r'])


def test_score_thr_and_semseg_score():
    gt = scene()
    preds = [person(gt, 1, 0.9), person(gt, 2, 0.005)]
    res = eval_multi_human_parsing([preds], [gt], C, score_thr=0.01)
    # B dropped everywhere: the missing-person numbers
    check(res, dict(AP_p=50, PCP50=50, AP_r=50, mIoU=100 * 11 / 24))
    # QANet: the mIoU map thresholds the box score only
    preds[1]['semseg_score'] = 0.6
    preds[0]['semseg_score'] = 0.2
    res = eval_multi_human_parsing([preds], [gt], C, score_thr=0.01, miou_score_thr=0.3)
    # AP^p / AP^r keep the missing-person values, the mIoU map now holds B only (A's box
    # score 0.2 < 0.3): symmetric to the missing-person case -> 11/24
    check(res, dict(AP_p=50, AP_r=50, mIoU=100 * 11 / 24))
    res = eval_multi_human_parsing([preds], [gt], C, score_thr=0.01, miou_score_thr=0.1)
    check(res, dict(AP_p=50, mIoU=100))


def test_painting_order_overwrites():
    gt = scene()
    # A, and a larger low-scored person covering A's head and the background gap
    big = np.zeros_like(gt['category_map'])
    big[0:2, 0:6] = 1
    low = dict(parsing=big, score=0.3, part_scores=None)
    rec = accumulate_image([low, person(gt, 1, 0.9)], gt, C)
    # painting ascending: low first, A over it -> low keeps only cols 4-5 (4 px) of class 1:
    # regions in (ascending score, class) order: low/head, A/head, A/left, A/right
    np.testing.assert_array_equal(rec['region_classes'], [1, 1, 2, 3])
    np.testing.assert_allclose(rec['region_scores'], [0.3, 0.9, 0.9, 0.9])
    # low's visible head (4 px, cols 4-5) vs gt heads (8 px each): no overlap -> 0; A's: 1
    np.testing.assert_allclose(rec['region_ious'], [0, 1, 1, 1])
    np.testing.assert_array_equal(rec['num_gt_regions'], [2, 2, 2])
    # QANet's uint8 cap: only the first regions survive
    rec = accumulate_image([low, person(gt, 1, 0.9)], gt, C, max_regions=2)
    np.testing.assert_array_equal(rec['region_classes'], [1, 1])


def test_empty_images():
    gt = scene()
    gts = [gt, gt]
    preds = [[person(gt, 1, 0.9), person(gt, 2, 0.8)], []]
    # QANet: the image without predictions is skipped by AP^r and mIoU but its 2 gt
    # persons count in AP^p: recall 2/4 -> AP^p 50, PCP (1 + 1) / 4 = 50
    check(eval_multi_human_parsing(preds, gts, C),
          dict(AP_p=50, PCP50=50, AP_r=100, mIoU=100))
    # counted: AP^r recall 2/4 -> 50; mIoU: bg gt 8 + 8 = 16, pred 8 + 40 (image 2 is all
    #   background) = 48, inter 16 -> 1/3; parts: gt 2n, pred n, inter n -> 1/2
    #   -> (1/3 + 3/2) / 4 = 11/24
    check(eval_multi_human_parsing(preds, gts, C, count_empty_images=True),
          dict(AP_p=50, PCP50=50, AP_r=50, mIoU=100 * 11 / 24))


def test_gt_ignore_and_torch_inputs():
    gt = scene()
    gt['category_map'][3, 0] = 255  # an ignored pixel inside A (its left arm)
    gt['category_map'][3, 4] = 255  # an ignored pixel outside every person
    pred = person(scene(), 1, 0.9)
    rec = accumulate_image([pred], gt, C)
    # vs A: the (3, 0) pixel is dropped; the (3, 4) pixel is background of A's map:
    #   bg: gt 24, pred 24 -> 1; head 1; left-arm: gt 3, pred 3 (pixel dropped) -> 1
    assert rec['person_miou'][0, 0] == pytest.approx(1.0)
    # mIoU drops both ignored pixels: 39 - 1 = 38 counted
    assert rec['confusion'].sum() == 38
    torch_gt = {k: torch.from_numpy(v) for k, v in gt.items()}
    torch_pred = dict(pred, parsing=torch.from_numpy(pred['parsing']),
                      part_scores=torch.tensor([0.9, 0.9, 0.9], dtype=torch.float64))
    rec2 = accumulate_image([torch_pred], torch_gt, C)
    for key in rec:
        np.testing.assert_array_equal(rec[key], rec2[key])


def test_bad_inputs():
    gt = scene()
    bad = person(gt, 1, 0.9)
    bad['parsing'] = bad['parsing'].copy()
    bad['parsing'][0, 0] = C
    with pytest.raises(ValueError, match='outside'):
        eval_multi_human_parsing([[bad]], [gt], C)
    with pytest.raises(ValueError, match='part_scores'):
        eval_multi_human_parsing([[person(gt, 1, 0.9, part_scores=[1.0])]], [gt], C)
    with pytest.raises(TypeError):
        eval_multi_human_parsing([[]], [gt], C, unknown=1)


def test_voc_ap_matches_loop():
    rng = np.random.default_rng(0)
    for _ in range(20):
        n = int(rng.integers(0, 8))
        rec = np.sort(rng.random(n))
        prec = rng.random(n)
        assert voc_ap(rec, prec) == pytest.approx(_voc_ap_loop(rec, prec))


# --------------------------------------------------------------------------------------
# Slow reference: QANet's evaluator written out literally with loops (masks, classes,
# predictions), independently of the bincount implementation.
# --------------------------------------------------------------------------------------
def _voc_ap_loop(rec, prec):
    mrec = [0.0] + list(rec) + [1.0]
    mpre = [0.0] + list(prec) + [0.0]
    for i in range(len(mpre) - 1, 0, -1):
        mpre[i - 1] = max(mpre[i - 1], mpre[i])
    ap = 0.0
    for i in range(len(mrec) - 1):
        if mrec[i + 1] != mrec[i]:
            ap += (mrec[i + 1] - mrec[i]) * mpre[i + 1]
    return ap


def _class_ious(gt_map, pred, num_classes):
    ious = []
    valid = (gt_map >= 0) & (gt_map < num_classes)
    for c in range(num_classes):
        inter = np.sum((gt_map == c) & (pred == c) & valid)
        union = np.sum(((gt_map == c) | (pred == c)) & valid)
        ious.append(inter / union if union else np.nan)
    return np.array(ious)


def _ranked_ap_loop(flags, scores, npos, reverse_stable):
    order = (np.argsort(scores, kind='stable')[::-1]
             if reverse_stable else np.argsort(-np.asarray(scores), kind='stable'))
    tp = fp = 0
    rec, prec = [], []
    for i in order:
        tp += flags[i]
        fp += 1 - flags[i]
        rec.append(tp / npos if npos else (np.nan if tp == 0 else np.inf))
        prec.append(tp / max(tp + fp, np.finfo(np.float64).eps))
    return _voc_ap_loop(rec, prec)


def reference(preds, gts, num_classes, score_thr=0.0, count_empty_images=False,
              miou_score_thr=None):
    thrs = IOU_THRESHOLDS
    # ---- AP^p / PCP (ParsingEvaluator.computeAPp)
    gt_persons, npos = [], 0
    for gt in gts:
        ids = sorted(set(np.unique(gt['instance_map']).tolist()) - {0})
        gt_persons.append([gt['category_map'] * (gt['instance_map'] == i) for i in ids])
        npos += len(ids)
    flat = [(img, p) for img, persons in enumerate(preds) for p in persons]
    scores = [p['score'] for _, p in flat]
    order = np.argsort(-np.asarray(scores), kind='stable')
    det = [[[False] * len(g) for g in gt_persons] for _ in thrs]
    flags = [[] for _ in thrs]
    kept_scores = []
    pcp = [[] for _ in thrs]
    for idx in order:
        img, p = flat[idx]
        if p['score'] < score_thr:
            continue
        kept_scores.append(p['score'])
        ovmax, jmax = -np.inf, -1
        for j, gmap in enumerate(gt_persons[img]):
            ious = _class_ious(gmap, p['parsing'], num_classes)
            m = np.nanmean(ious) if not np.isnan(ious).all() else np.nan
            if m > ovmax:
                ovmax, jmax, best, gt_u = m, j, ious, np.unique(gmap)
        for t, thr in enumerate(thrs):
            if ovmax > thr and not det[t][img][jmax]:
                det[t][img][jmax] = True
                flags[t].append(1)
                pcp_d = np.sum((gt_u > 0) & (gt_u < num_classes))
                pcp[t].append(np.sum(best[1:] > thr) / pcp_d if pcp_d else 0.0)
            else:
                flags[t].append(0)
    # flags are already in ranked order
    ap_p = [_ranked_ap_loop(flags[t], [-i for i in range(len(kept_scores))], npos, False)
            for t in range(len(thrs))]
    pcp_t = [sum(pcp[t]) / npos for t in range(len(thrs))]

    # ---- AP^r (generate_parsing_result + _compute_class_apr) and mIoU (SemSegEvaluator)
    pred_regions, gt_regions = [], []
    hist = np.zeros((num_classes, num_classes))
    for img, (persons, gt) in enumerate(zip(preds, gts)):
        if not persons and not count_empty_images:
            continue
        kept = [p for p in persons if p['score'] >= score_thr]
        kept = [kept[i] for i in np.argsort([p['score'] for p in kept], kind='stable')]
        ins = np.zeros_like(gt['category_map'])
        glob = np.zeros_like(gt['category_map'])
        for ins_id, p in enumerate(kept, 1):
            glob = np.where(p['parsing'] > 0, p['parsing'], glob)
            ins = np.where(p['parsing'] > 0, ins_id, ins)
        regions = []
        for ins_id in np.unique(ins):
            if ins_id == 0:
                continue
            p = kept[ins_id - 1]
            for c in np.unique(glob[ins == ins_id]):
                if c == 0:
                    continue
                ps = p['part_scores'] if p['part_scores'] is not None else \
                    [p['score']] * (num_classes - 1)
                regions.append((c, ps[c - 1], (ins == ins_id) & (glob == c)))
        pred_regions.append(regions[:254])
        gts_img = []
        for pid in np.unique(gt['instance_map']):
            if pid == 0:
                continue
            for c in range(1, num_classes):
                mask = (gt['instance_map'] == pid) & (gt['category_map'] == c)
                if mask.any():
                    gts_img.append((c, mask))
        gt_regions.append(gts_img)
        # mIoU map: persons with semseg_score >= miou_score_thr, ascending semseg_score
        if miou_score_thr is not None:
            sem = [p for p in persons if p.get('semseg_score', p['score']) >= miou_score_thr]
            sem_scores = [p.get('semseg_score', p['score']) for p in sem]
            glob = np.zeros_like(gt['category_map'])
            for i in np.argsort(sem_scores, kind='stable'):
                glob = np.where(sem[i]['parsing'] > 0, sem[i]['parsing'], glob)
        k = (gt['category_map'] >= 0) & (gt['category_map'] < num_classes)
        for a in range(num_classes):
            for b in range(num_classes):
                hist[a, b] += np.sum(k & (gt['category_map'] == a) & (glob == b))
    ap_r = np.zeros((num_classes - 1, len(thrs)))
    for c in range(1, num_classes):
        n_gt, cls_scores, cls_flags = 0, [], [[] for _ in thrs]
        for regions, gts_img in zip(pred_regions, gt_regions):
            gm = [m for cc, m in gts_img if cc == c]
            pr = [(s, m) for cc, s, m in regions if cc == c]
            n_gt += len(gm)
            if not pr:
                continue
            for s, m in pr:
                cls_scores.append(s)
                best = max([np.sum(m & g) / np.sum(m | g) for g in gm], default=-1)
                for t, thr in enumerate(thrs):
                    cls_flags[t].append(int(len(gm) > 0 and best > thr))
        for t in range(len(thrs)):
            ap_r[c - 1, t] = _ranked_ap_loop(cls_flags[t], cls_scores, n_gt, True)
    with np.errstate(all='ignore'):
        ap_r_t = np.nanmean(ap_r, axis=0)
    iou = np.diag(hist) / (hist.sum(1) + hist.sum(0) - np.diag(hist) + 1e-10)
    return dict(AP_p=100 * np.nanmean(ap_p), AP_p50=100 * ap_p[4], PCP50=100 * pcp_t[4],
                AP_r=100 * np.nanmean(ap_r_t), AP_r50=100 * ap_r_t[4], mIoU=100 * iou.mean())


def random_case(rng, num_classes, h=12, w=16):
    """A random image: 0-3 gt persons (rectangles of random parts), perturbed predictions."""
    cat = np.zeros((h, w), dtype=np.int64)
    inst = np.zeros((h, w), dtype=np.int64)
    for pid in range(1, int(rng.integers(0, 4)) + 1):
        y0, x0 = rng.integers(0, h - 3), rng.integers(0, w - 3)
        y1, x1 = y0 + rng.integers(3, h - y0 + 1), x0 + rng.integers(3, w - x0 + 1)
        labels = rng.integers(0, num_classes, size=(y1 - y0, x1 - x0))
        labels = np.repeat(np.repeat(labels[::2, ::2], 2, 0), 2, 1)[:y1 - y0, :x1 - x0]
        cat[y0:y1, x0:x1] = labels
        inst[y0:y1, x0:x1] = pid * 3  # non-contiguous ids; later persons occlude
    cat[rng.random((h, w)) < 0.03] = 255
    persons = []
    for pid in np.unique(inst):
        if pid == 0 or rng.random() < 0.2:  # some misses
            continue
        parsing = np.where(inst == pid, np.clip(cat, 0, num_classes - 1), 0)
        noise = rng.random((h, w)) < rng.choice([0.0, 0.05, 0.3])
        parsing[noise] = rng.integers(0, num_classes, size=int(noise.sum()))
        persons.append(parsing)
    for _ in range(int(rng.integers(0, 3))):  # false positives
        parsing = np.zeros((h, w), dtype=np.int64)
        y0, x0 = rng.integers(0, h - 2), rng.integers(0, w - 2)
        block = parsing[y0:y0 + 4, x0:x0 + 5]
        block[...] = rng.integers(1, num_classes, size=block.shape)
        persons.append(parsing)
    preds = []
    for parsing in persons:
        use_parts = rng.random() < 0.5
        preds.append(dict(parsing=parsing, score=float(rng.random()),
                          part_scores=rng.random(num_classes - 1) if use_parts else None))
    return preds, dict(category_map=cat, instance_map=inst)


@pytest.mark.parametrize('seed', range(6))
def test_random_against_loop_reference(seed):
    rng = np.random.default_rng(seed)
    num_classes = int(rng.integers(3, 7))
    cases = [random_case(rng, num_classes) for _ in range(8)]
    preds, gts = [c[0] for c in cases], [c[1] for c in cases]
    if seed % 2:  # CIHP's uint8 PNG maps take the lookup-table path
        gts = [{k: v.astype(np.uint8) for k, v in g.items()} for g in gts]
    for score_thr, count_empty in ((0.0, False), (0.3, True)):
        ours = eval_multi_human_parsing(preds, gts, num_classes, score_thr=score_thr,
                                        count_empty_images=count_empty)
        ref = reference(preds, gts, num_classes, score_thr=score_thr,
                        count_empty_images=count_empty)
        for key in KEYS:
            np.testing.assert_allclose(ours[key], ref[key], rtol=1e-9, atol=1e-9,
                                       err_msg=f'{key} seed {seed} thr {score_thr}')
    # QANet's mIoU map: a separate (box) score and threshold
    for persons in preds:
        for p in persons:
            p['semseg_score'] = float(rng.random())
    ours = eval_multi_human_parsing(preds, gts, num_classes, score_thr=0.2, miou_score_thr=0.4)
    ref = reference(preds, gts, num_classes, score_thr=0.2, miou_score_thr=0.4)
    for key in KEYS:
        np.testing.assert_allclose(ours[key], ref[key], rtol=1e-9, atol=1e-9, err_msg=key)


def test_streaming_equals_batch():
    rng = np.random.default_rng(7)
    cases = [random_case(rng, 5) for _ in range(6)]
    records = [accumulate_image(p, g, 5) for p, g in cases]
    # records hold no image-sized array
    for rec in records:
        for value in rec.values():
            assert np.size(value) <= 5 * 5 or np.ndim(value) <= 2 and np.size(value) < 200
    assert summarize(records, 5) == eval_multi_human_parsing([c[0] for c in cases],
                                                             [c[1] for c in cases], 5)


def test_skip_empty_gt_persons():
    gt = scene()
    gt['instance_map'][:, 4] = 7  # a gt person of background pixels only (col 4)
    preds = [[person(gt, 1, 0.9), person(gt, 2, 0.8)]]
    # QANet counts it: 2 TP of 3 gt persons -> AP^p 2/3, PCP (1 + 1 + 0) / 3
    check(eval_multi_human_parsing(preds, [gt], C),
          dict(AP_p=100 * 2 / 3, PCP50=100 * 2 / 3, AP_r=100))
    # MHP-v2's get_gt drops a gt person without foreground pixels
    check(eval_multi_human_parsing(preds, [gt], C, skip_empty_gt_persons=True),
          dict(AP_p=100, PCP50=100, AP_r=100))
