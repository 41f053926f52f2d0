"""QANetHead: shapes, IoU branch, target and losses by hand; mmseg's Lovasz against its formula."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from hp_mm.models.heads import QANetHead
from hp_mm.models.heads.qanet_head import parsing_iou_loss
from hp_mm.registry import MODELS
from hp_mm.structures import paired_parsing_miou

LOSSES = [
    dict(type='CrossEntropyLoss', avg_non_ignore=True, loss_weight=1.0, loss_name='loss_ce'),
    dict(type='LovaszLoss', classes='present', per_image=True, reduction='mean',
         loss_weight=1.0, loss_name='loss_lovasz'),
]


def _head(num_classes=5, channels=8, **kwargs):
    init_default_scope('hp_mm')
    return MODELS.build(dict(
        type='QANetHead', in_channels=[6, 6, 6, 6], in_index=[0, 1, 2, 3],
        feature_strides=[4, 8, 16, 32], channels=channels, dropout_ratio=0.0,
        num_classes=num_classes, norm_cfg=dict(type='BN'), align_corners=False,
        iou_num_convs=2, iou_channels=16, loss_decode=LOSSES, **kwargs))


def _features(n=2, h=64, w=48, c=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(n, c, h // s, w // s, generator=g) for s in (4, 8, 16, 32)]


def _samples(labels):
    return [SegDataSample(gt_sem_seg=PixelData(data=lab[None].long())) for lab in labels]


def test_registered_and_forward_shapes():
    head = _head()
    assert isinstance(head, QANetHead)
    feats = _features()
    logits = head(feats)
    assert logits.shape == (2, 5, 16, 12)
    logits2, iou = head.forward_with_iou(feats)
    torch.testing.assert_close(logits, logits2)
    assert iou.shape == (2, )
    assert head.fuse_features(feats).shape == (2, 8, 16, 12)
    # QANet's IoU branch: conv1x1 (K->K) + ReLU, pool, 2 x conv1x1 (->16) + ReLU, Linear(16->1)
    assert head.iou_conv1x1.conv.kernel_size == (1, 1)
    assert [m.conv.out_channels for m in head.iou_convs] == [16, 16]
    assert head.iou_fc.in_features == 16 and head.iou_fc.out_features == 1
    # the semantic FPN: 1, 1, 2, 3 conv blocks for strides 4..32
    assert [sum(1 for m in s if m.__class__.__name__ == 'ConvModule')
            for s in head.scale_heads] == [1, 1, 2, 3]


def test_parsing_miou_hand_computed():
    pred = torch.tensor([[[0, 1, 1], [2, 2, 0]]])
    gt = torch.tensor([[[0, 1, 2], [2, 255, 0]]])
    # valid pixels: all but (1, 1). class 0: TP 2 / union 2; class 1: 1 / 2; class 2: 1 / 2;
    # classes 3, 4 absent from both -> not averaged
    torch.testing.assert_close(paired_parsing_miou(pred, gt, 5), torch.tensor([2 / 3]))
    # a person whose pixels are all ignored scores 0; perfect prediction scores 1
    both = paired_parsing_miou(torch.stack([pred[0], gt[0].clamp(max=4)]),
                        torch.stack([torch.full((2, 3), 255), gt[0].clamp(max=4)]), 5)
    torch.testing.assert_close(both, torch.tensor([0.0, 1.0]))


def _qanet_miou_reference(gt, pred, n):
    """QANet parsing_head/loss.py l.8-19, 39-41 (np.float -> float)."""
    k = (pred >= 0) & (pred < n)
    hist = np.bincount(n * pred[k].astype(int) + gt[k], minlength=n**2).reshape(n, n)
    hist = hist.astype(float)
    tp = np.diag(hist)
    with np.errstate(invalid='ignore', divide='ignore'):
        iu = tp / (hist.sum(1) + hist.sum(0) - tp)
    return np.nanmean(iu)


def test_parsing_miou_equals_qanet_without_ignored_pixels():
    g = torch.Generator().manual_seed(1)
    pred = torch.randint(0, 6, (4, 9, 7), generator=g)
    gt = torch.randint(0, 4, (4, 9, 7), generator=g)
    ours = paired_parsing_miou(pred, gt, 7)
    ref = [_qanet_miou_reference(gt[i].numpy(), pred[i].numpy(), 7) for i in range(4)]
    np.testing.assert_allclose(ours.numpy(), ref, rtol=1e-6)


def test_parsing_iou_loss_hand_computed():
    pred = torch.tensor([0.5, 0.2, 0.9], requires_grad=True)
    target = torch.tensor([0.7, 0.0, 0.4])
    loss = parsing_iou_loss(pred, target)  # persons 0 and 2: 0.5 * (0.04 + 0.25) / 2
    assert loss.item() == pytest.approx(0.0725)
    loss.backward()
    assert pred.grad[1] == 0
    zero = parsing_iou_loss(pred, torch.zeros(3))
    assert zero.item() == 0 and zero.requires_grad


def test_loss_keys_target_and_gradient_paths():
    torch.manual_seed(0)
    head = _head()
    feats = [f.requires_grad_() for f in _features()]
    labels = torch.randint(0, 5, (2, 64, 48))
    labels[:, :4] = 255
    samples = _samples(labels)
    losses = head.loss(feats, samples, None)
    assert set(losses) == {'loss_ce', 'loss_lovasz', 'acc_seg', 'loss_iou'}

    # loss_iou is QANet's L2 between the branch and the mIoU of the argmax at label size
    logits, iou = head.forward_with_iou(feats)
    up = torch.nn.functional.interpolate(logits, size=(64, 48), mode='bilinear',
                                         align_corners=False)
    target = paired_parsing_miou(up.argmax(1), labels, 5)
    torch.testing.assert_close(losses['loss_iou'], parsing_iou_loss(iou, target))
    assert not head.iou_targets(logits, samples).requires_grad

    head.zero_grad()
    losses['loss_iou'].backward()
    branch = [head.iou_conv1x1.conv.weight, head.iou_convs[0].conv.weight, head.iou_fc.weight]
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in branch)
    # the shared fused feature gets the IoU gradient (QANet does not detach it) ...
    assert head.scale_heads[0][0].conv.weight.grad.abs().sum() > 0
    # ... the classifier does not: the target is computed without gradient
    assert head.conv_seg.weight.grad is None or head.conv_seg.weight.grad.abs().sum() == 0


def _lovasz_softmax_reference(probs, labels, ignore_index=255):
    """Berman et al. 2018, Eq. 8-9 / Alg. 1, literally: per image and per class present in
    the GT, sort the errors m_i = |[y_i = c] - p_i(c)| in decreasing order and sum
    m_(k) * (Delta_J(top k) - Delta_J(top k-1)), Delta_J(M) = |M| / |F_c u M|, where a top-k
    pixel is a false negative if it is in F_c (the class's GT pixels), a false positive if not."""
    total = 0.0
    for prob, lab in zip(probs.tolist(), labels.tolist()):
        flat = []
        num_c = len(prob)
        h, w = len(lab), len(lab[0])
        for i in range(h):
            for j in range(w):
                if lab[i][j] != ignore_index:
                    flat.append(([prob[c][i][j] for c in range(num_c)], lab[i][j]))
        per_class = []
        for c in range(num_c):
            fg = [1.0 if y == c else 0.0 for _, y in flat]
            if sum(fg) == 0:
                continue
            errs = sorted(((abs(f - p[c]), f) for (p, _), f in zip(flat, fg)),
                          key=lambda t: -t[0])
            n_fg = sum(fg)
            loss, prev = 0.0, 0.0
            fn = fp = 0
            for m, f in errs:
                if f:
                    fn += 1
                else:
                    fp += 1
                cur = (fn + fp) / (n_fg + fp)  # |M| / |F u M|
                loss += m * (cur - prev)
                prev = cur
            per_class.append(loss)
        total += sum(per_class) / len(per_class)
    return total / len(probs)


def test_mmseg_lovasz_equals_reference_formula():
    g = torch.Generator().manual_seed(2)
    logits = torch.randn(3, 4, 5, 6, generator=g)
    labels = torch.randint(0, 3, (3, 5, 6), generator=g)  # class 3 absent: not averaged
    labels[0, 0, :3] = 255
    head = _head(num_classes=4)
    lovasz = head.loss_decode[1]
    ours = lovasz(logits, labels, ignore_index=255)
    ref = _lovasz_softmax_reference(torch.softmax(logits, 1), labels)
    assert ours.item() == pytest.approx(ref, rel=1e-5)


def _two_channel_head(loss_iou_weight=1.0):
    """3 classes, a 2-channel fused feature and a 2-wide IoU branch, set by hand below."""
    init_default_scope('hp_mm')
    return MODELS.build(dict(
        type='QANetHead', in_channels=[6, 6, 6, 6], in_index=[0, 1, 2, 3],
        feature_strides=[4, 8, 16, 32], channels=2, dropout_ratio=0.0, num_classes=3,
        norm_cfg=dict(type='BN'), align_corners=False, iou_num_convs=2, iou_channels=2,
        loss_decode=LOSSES, loss_iou_weight=loss_iou_weight))


def _set_conv1x1(module, weight, bias):
    module.conv.weight.data = torch.tensor(weight)[:, :, None, None]
    module.conv.bias.data = torch.tensor(bias)


def test_iou_branch_hand_computed():
    head = _two_channel_head()
    _set_conv1x1(head.iou_conv1x1, [[1., 0.], [0., 1.]], [0., 0.])
    _set_conv1x1(head.iou_convs[0], [[2., 0.], [0., 4.]], [0., -1.])
    _set_conv1x1(head.iou_convs[1], [[1., 0.], [1., -1.]], [0.5, 0.])
    head.iou_fc.weight.data = torch.tensor([[1., -1.]])
    head.iou_fc.bias.data = torch.tensor([0.25])
    feature = torch.tensor([[[[1., 2.], [3., 4.]], [[-1., 3.], [-1., -1.]]]])  # (1, 2, 2, 2)
    # conv1x1 + ReLU: channel 1 -> [[0, 3], [0, 0]]; average pool -> (2.5, 0.75)
    # conv (2, 4) - (0, 1) + ReLU -> (5, 2); conv [[1, 0], [1, -1]] + (0.5, 0) + ReLU -> (5.5, 3)
    # Linear (1, -1) + 0.25 -> 2.75. (Pooling before the first ReLU would give 0.75.)
    assert head.iou_branch(feature).tolist() == [2.75]


def test_loss_hand_computed(monkeypatch):
    head = _two_channel_head(loss_iou_weight=2.0)
    argmax = torch.tensor([[0, 1, 1], [2, 2, 0]])
    logits = 2.0 * F.one_hot(argmax, 3).permute(2, 0, 1)[None].float()  # (1, 3, 2, 3)
    monkeypatch.setattr(head, 'forward_with_iou', lambda inputs: (logits, torch.tensor([0.9])))
    samples = _samples(torch.tensor([[[0, 1, 2], [2, 255, 0]]]))
    # 5 valid pixels: class 0 TP 2 / union 2, class 1 1 / 2, class 2 1 / 2 -> target 2 / 3
    assert head.iou_targets(logits, samples).tolist() == pytest.approx([2 / 3])
    losses = head.loss(None, samples, None)
    # loss_iou = loss_iou_weight * 0.5 * (0.9 - 2 / 3) ** 2
    assert losses['loss_iou'].item() == pytest.approx(2 * 0.5 * (0.9 - 2 / 3)**2)
    # CE over the 5 valid pixels: log(e^2 + 2) - 2 where the argmax is right (4 pixels),
    # log(e^2 + 2) where it is wrong (pixel (0, 2)); acc_seg = 4 / 5
    assert losses['loss_ce'].item() == pytest.approx(math.log(math.e**2 + 2) - 8 / 5, rel=1e-6)
    assert losses['acc_seg'].item() == pytest.approx(80.0)
