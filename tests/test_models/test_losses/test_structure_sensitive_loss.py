import math

import pytest
import torch
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from hp_mm.models.losses import (StructureSensitiveLoss,
                                 structure_sensitive_loss)
from hp_mm.datasets import LIPDataset
from hp_mm.models.utils import (joint_loss_from_labels,
                                resolve_joint_groups)
from hp_mm.registry import MODELS

LIP_JOINT_GROUPS = LIPDataset.METAINFO['joint_groups']

LIP_CLASSES = ('Background', 'Hat', 'Hair', 'Glove', 'Sunglasses',
               'UpperClothes', 'Dress', 'Coat', 'Socks', 'Pants', 'Jumpsuits',
               'Scarf', 'Skirt', 'Face', 'Left-arm', 'Right-arm', 'Left-leg',
               'Right-leg', 'Left-shoe', 'Right-shoe')
# 6 classes, 3 joints; class 'd' is in two joints, 'bg' and 'f' in none
TOY_CLASSES = ('bg', 'a', 'b', 'c', 'd', 'f')
TOY_GROUPS = (('j0', ('a', 'd')), ('j1', ('b', )), ('j2', ('c', 'd')))


def reference_loss(logits, label, groups, sigma, stride, offset,
                   ignore_index=255, pixel_weight=None):
    """Slow reference: explicit loops over images, joints and pixels."""
    N, C, H, W = logits.shape
    h, w = math.ceil(H / stride), math.ceil(W / stride)
    energy = math.pi * (sigma / stride)**2
    total = 0.0
    for n in range(N):
        gt = [[int(label[n, y, x]) for x in range(W)] for y in range(H)]
        pred = [[None] * W for _ in range(H)]
        for y in range(H):
            for x in range(W):
                scores = [float(logits[n, c, y, x]) for c in range(C)]
                pred[y][x] = scores.index(max(scores))
                if gt[y][x] == ignore_index:
                    pred[y][x] = None  # no class where the gt is ignored

        def center(lab_map, classes):
            xs, ys = [], []
            for y in range(H):
                for x in range(W):
                    if lab_map[y][x] in classes:
                        xs.append(x)
                        ys.append(y)
            if not xs:
                return None
            return sum(xs) / len(xs), sum(ys) / len(ys)

        def heatmap(c):
            hm = [[0.0] * w for _ in range(h)]
            if c is None:
                return hm
            for v in range(h):
                for u in range(w):
                    px = u * stride + (stride - 1) / 2
                    py = v * stride + (stride - 1) / 2
                    hm[v][u] = math.exp(-((px - c[0])**2 + (py - c[1])**2) /
                                        (2 * sigma**2))
            return hm

        sq_sum, num_joints = 0.0, 0
        for classes in groups:
            c_p, c_g = center(pred, classes), center(gt, classes)
            if c_p is not None or c_g is not None:
                num_joints += 1
            hp, hg = heatmap(c_p), heatmap(c_g)
            for v in range(h):
                for u in range(w):
                    sq_sum += (hp[v][u] - hg[v][u])**2 / energy
        l_joint = sq_sum / (2 * max(num_joints, 1))

        ce, count = 0.0, 0
        for y in range(H):
            for x in range(W):
                t = gt[y][x]
                if t == ignore_index:
                    continue
                scores = [float(logits[n, c, y, x]) for c in range(C)]
                m = max(scores)
                lse = m + math.log(sum(math.exp(s - m) for s in scores))
                pw = 1.0 if pixel_weight is None else float(
                    pixel_weight[n, y, x])
                ce += pw * (lse - scores[t])
                count += 1
        total += (offset + l_joint) * ce / max(count, 1)
    return total / N


def _random_batch(seed, N=3, C=6, H=9, W=11, ignore_frac=0.15):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(N, C, H, W, generator=g, dtype=torch.float64)
    label = torch.randint(0, C, (N, H, W), generator=g)
    label[torch.rand(N, H, W, generator=g) < ignore_frac] = 255
    return logits, label, g


@pytest.mark.parametrize('stride,offset,with_weight', [(1, 0.0, False),
                                                       (2, 0.0, True),
                                                       (3, 1.0, False)])
def test_matches_slow_reference(stride, offset, with_weight):
    groups = [{1, 4}, {2}, {3, 4}]
    for seed in range(3):
        logits, label, g = _random_batch(seed)
        pixel_weight = torch.rand(
            label.shape, generator=g, dtype=torch.float64) + 0.5 \
            if with_weight else None
        loss_fn = StructureSensitiveLoss(
            TOY_GROUPS,
            TOY_CLASSES,
            sigma=3.0,
            heatmap_stride=stride,
            joint_weight_offset=offset,
            loss_weight=1.0)
        got = loss_fn(logits, label, weight=pixel_weight, ignore_index=255)
        want = reference_loss(logits, label, groups, 3.0, stride, offset,
                              pixel_weight=pixel_weight)
        assert got.item() == pytest.approx(want, rel=1e-5, abs=1e-7)


def test_perfect_prediction_and_offset():
    _, label, _ = _random_batch(0)
    # logits whose argmax is the label (ignored pixels predict class 0)
    logits = 5.0 * torch.nn.functional.one_hot(
        label.clamp(max=5).masked_fill(label == 255, 0), 6).permute(
            0, 3, 1, 2).double()
    literal = StructureSensitiveLoss(TOY_GROUPS, TOY_CLASSES, sigma=3.0,
                                     heatmap_stride=1)
    assert literal(logits, label).item() == 0.0  # L_joint = 0 -> Eq. 2 = 0
    offset = StructureSensitiveLoss(TOY_GROUPS, TOY_CLASSES, sigma=3.0,
                                    heatmap_stride=1, joint_weight_offset=1.0,
                                    loss_weight=2.0)
    ce = torch.nn.functional.cross_entropy(
        logits, label, reduction='none', ignore_index=255)
    per_image = ce.flatten(1).sum(1) / (label != 255).flatten(1).sum(1)
    assert offset(logits, label).item() == pytest.approx(
        2.0 * per_image.mean().item())


def test_per_image_weights_do_not_mix():
    logits, label, _ = _random_batch(1, N=4)
    loss_fn = StructureSensitiveLoss(TOY_GROUPS, TOY_CLASSES, sigma=3.0,
                                     heatmap_stride=1)
    whole = loss_fn(logits, label)
    parts = [loss_fn(logits[i:i + 1], label[i:i + 1]) for i in range(4)]
    assert whole.item() == pytest.approx(torch.stack(parts).mean().item())


def test_gradcheck_weighted_cross_entropy():
    logits, label, g = _random_batch(2, N=2, C=3, H=4, W=5)
    logits.requires_grad_(True)
    label = label.clamp(max=2).masked_fill(label == 255, 255)
    image_weight = torch.tensor([0.3, 0.8], dtype=torch.float64)
    pixel_weight = torch.rand(label.shape, generator=g, dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda x: structure_sensitive_loss(x, label, image_weight,
                                           pixel_weight, 255), (logits, ))


def test_gradcheck_module_and_no_gradient_through_joints():
    logits, label, _ = _random_batch(3, N=2, C=6, H=5, W=6)
    logits.requires_grad_(True)
    loss_fn = StructureSensitiveLoss(TOY_GROUPS, TOY_CLASSES, sigma=2.0,
                                     heatmap_stride=1)
    # random logits: no argmax flips under gradcheck's 1e-6 perturbation
    assert torch.autograd.gradcheck(lambda x: loss_fn(x, label), (logits, ))
    # the gradient is the CE gradient scaled by the detached joint weight
    loss_fn(logits, label).backward()
    grad = logits.grad.clone()
    logits.grad = None
    ignored = label == 255
    w = joint_loss_from_labels(
        logits.detach().argmax(1).masked_fill(ignored, -1),
        label.masked_fill(ignored, -1),
        resolve_joint_groups(TOY_GROUPS, TOY_CLASSES), 2.0)
    assert (w > 0).all()
    structure_sensitive_loss(logits, label, w).backward()
    torch.testing.assert_close(grad, logits.grad)


def test_groups_from_dataset_meta():
    logits, label, _ = _random_batch(4)
    loss_fn = StructureSensitiveLoss(sigma=3.0, heatmap_stride=1)
    with pytest.raises(RuntimeError, match='joint groups are not set'):
        loss_fn(logits, label)
    loss_fn.set_dataset_meta(dict(classes=TOY_CLASSES))  # no groups: unset
    with pytest.raises(RuntimeError, match='joint groups are not set'):
        loss_fn(logits, label)
    loss_fn.set_dataset_meta(
        dict(classes=list(TOY_CLASSES), joint_groups=TOY_GROUPS))
    explicit = StructureSensitiveLoss(TOY_GROUPS, TOY_CLASSES, sigma=3.0,
                                      heatmap_stride=1)
    assert loss_fn(logits, label).item() == explicit(logits, label).item()
    assert loss_fn.joint_names == ('j0', 'j1', 'j2')
    # explicit groups + classes from the metainfo
    half = StructureSensitiveLoss(joint_groups=TOY_GROUPS, sigma=3.0, heatmap_stride=1)
    with pytest.raises(RuntimeError, match='joint groups are not set'):
        half(logits, label)  # the groups name classes it does not know yet
    half.set_dataset_meta(dict(classes=TOY_CLASSES))
    assert half(logits, label).item() == explicit(logits, label).item()


def test_errors():
    with pytest.raises(ValueError, match="'j1' names class 'b'"):
        StructureSensitiveLoss(TOY_GROUPS, ('bg', 'a', 'c', 'd'))
    loss_fn = StructureSensitiveLoss()
    with pytest.raises(ValueError, match="'head' names class 'Hat'"):
        loss_fn.set_dataset_meta(
            dict(classes=TOY_CLASSES, joint_groups=LIP_JOINT_GROUPS))
    explicit = StructureSensitiveLoss(TOY_GROUPS, TOY_CLASSES)
    with pytest.raises(ValueError, match='dataset has classes'):
        explicit.set_dataset_meta(dict(classes=LIP_CLASSES))
    with pytest.raises(ValueError, match='6 classes but seg_logits has 5'):
        explicit(torch.randn(1, 5, 8, 8), torch.zeros(1, 8, 8).long())
    with pytest.raises(ValueError, match='must not exceed sigma'):
        StructureSensitiveLoss(sigma=4.0, heatmap_stride=8)
    with pytest.raises(ValueError, match="start with 'loss_'"):
        StructureSensitiveLoss(loss_name='ssl')


def test_build_from_registry():
    loss_fn = MODELS.build(
        dict(type='StructureSensitiveLoss', joint_groups=LIP_JOINT_GROUPS,
             classes=LIP_CLASSES, loss_weight=0.5))
    assert isinstance(loss_fn, StructureSensitiveLoss)
    assert loss_fn.loss_name == 'loss_ssl' and loss_fn.loss_weight == 0.5
    # no membership tensor in checkpoints
    assert len(loss_fn.state_dict()) == 0


def _data_samples(labels):
    samples = []
    for lab in labels:
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=lab[None])
        samples.append(s)
    return samples


@pytest.mark.parametrize('explicit', [True, False])
def test_as_fcn_head_loss_decode(explicit):
    cfg = dict(type='StructureSensitiveLoss', sigma=8.0, heatmap_stride=4)
    if explicit:
        cfg.update(joint_groups=LIP_JOINT_GROUPS, classes=LIP_CLASSES)
    with DefaultScope.overwrite_default_scope('hp_mm'):
        head = MODELS.build(
            dict(type='FCNHead', in_channels=8, channels=8, num_convs=1,
                 num_classes=20, in_index=-1, loss_decode=[
                     dict(type='CrossEntropyLoss', loss_weight=1.0),
                     cfg
                 ]))
    assert isinstance(head.loss_decode[1], StructureSensitiveLoss)
    if not explicit:
        head.loss_decode[1].set_dataset_meta(
            dict(classes=LIP_CLASSES, joint_groups=LIP_JOINT_GROUPS))
    g = torch.Generator().manual_seed(0)
    feats = [torch.randn(2, 8, 8, 8, generator=g)]
    labels = torch.randint(0, 20, (2, 32, 32), generator=g)
    labels[:, :2] = 255
    seg_logits = head(feats)
    losses = head.loss_by_feat(seg_logits, _data_samples(labels))
    assert set(losses) == {'loss_ce', 'loss_ssl', 'acc_seg'}
    assert losses['loss_ssl'].requires_grad and losses['loss_ssl'] > 0
    (losses['loss_ce'] + losses['loss_ssl']).backward()
    assert head.conv_seg.weight.grad.abs().sum() > 0
