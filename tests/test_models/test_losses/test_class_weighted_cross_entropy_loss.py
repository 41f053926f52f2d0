import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import DefaultScope

from hp_mm.models.losses import ClassWeightedCrossEntropyLoss, class_weighted_cross_entropy
from hp_mm.registry import MODELS


def random_case(seed=0, n=2, c=5, h=6, w=7):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, c, h, w, generator=g, dtype=torch.float64)
    label = torch.randint(0, c, (n, h, w), generator=g)
    label[0, :2] = 255  # padding / unlabelled pixels
    class_weight = torch.rand(c, generator=g, dtype=torch.float64) + 0.1
    return logits, label, class_weight


def test_hand_case():
    # two pixels, 2 classes; logits 0 -> CE = log 2 each; a third pixel is ignored
    logits = torch.zeros(1, 2, 1, 3)
    logits[0, 0, 0, 2] = 5.0
    label = torch.tensor([[[0, 1, 255]]])
    # (w0 * log2 + w1 * log2) / (w0 + w1) = log 2 whatever the weights
    loss = class_weighted_cross_entropy(logits, label, torch.tensor([1.0, 3.0]))
    assert loss.item() == pytest.approx(torch.log(torch.tensor(2.0)).item(), rel=1e-6)
    # class 0 correct with margin 5 -> CE0 = log(1 + e^-5); class 1 pixel has CE log 2
    logits = torch.zeros(1, 2, 1, 2)
    logits[0, 0, 0, 0] = 5.0
    label = torch.tensor([[[0, 1]]])
    ce0 = torch.log1p(torch.exp(torch.tensor(-5.0))).item()
    loss = class_weighted_cross_entropy(logits, label, torch.tensor([1.0, 3.0]))
    assert loss.item() == pytest.approx((1 * ce0 + 3 * 0.6931471805599453) / 4, rel=1e-6)


def test_equals_torch_weighted_cross_entropy_with_ignored_pixels():
    logits, label, class_weight = random_case()
    ours = class_weighted_cross_entropy(logits, label, class_weight)
    ref = F.cross_entropy(logits, label, weight=class_weight, ignore_index=255)
    torch.testing.assert_close(ours, ref)


def test_pixel_weights_select_pixels_like_a_sampler():
    logits, label, class_weight = random_case(seed=1)
    keep = torch.rand(label.shape, generator=torch.Generator().manual_seed(3)) > 0.5
    ours = class_weighted_cross_entropy(logits, label, class_weight, weight=keep.float())
    # OHEM's 0/1 weights == dropping the other pixels
    ref = F.cross_entropy(logits, torch.where(keep, label, 255), weight=class_weight,
                          ignore_index=255)
    torch.testing.assert_close(ours, ref)


def test_all_ignored_is_zero_with_gradient():
    logits = torch.randn(1, 3, 2, 2, requires_grad=True)
    loss = class_weighted_cross_entropy(logits, torch.full((1, 2, 2), 255), torch.ones(3))
    loss.backward()
    assert loss.item() == 0 and torch.all(logits.grad == 0)


def test_module_from_registry_in_an_mmseg_head():
    logits, label, class_weight = random_case(seed=2)
    loss = MODELS.build(dict(type='ClassWeightedCrossEntropyLoss',
                             class_weight=class_weight.tolist(), loss_weight=2.0))
    assert loss.loss_name == 'loss_ce'
    out = loss(logits.float(), label, ignore_index=255)
    ref = F.cross_entropy(logits.float(), label, weight=class_weight.float(), ignore_index=255)
    torch.testing.assert_close(out, 2 * ref)
    # a real mmseg head with OHEM, padded labels included
    from mmseg.models.decode_heads import FCNHead
    from mmseg.structures import SegDataSample
    from mmengine.structures import PixelData
    with DefaultScope.overwrite_default_scope('hp_mm'):  # as default_scope='hp_mm' in a config
        head = FCNHead(in_channels=4, channels=4, num_convs=1, num_classes=5,
                       sampler=dict(type='OHEMPixelSampler', thresh=0.7, min_kept=10),
                       loss_decode=dict(type='ClassWeightedCrossEntropyLoss',
                                        class_weight=[0.5, 1, 1, 2, 1]))
    assert isinstance(head.loss_decode, ClassWeightedCrossEntropyLoss)
    samples = []
    for n in range(2):
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=label[n:n + 1])
        samples.append(s)
    losses = head.loss_by_feat(torch.randn(2, 5, 6, 7, requires_grad=True), samples)
    assert torch.isfinite(losses['loss_ce'])


def test_bad_arguments():
    with pytest.raises(ValueError, match='class_weight'):
        ClassWeightedCrossEntropyLoss(class_weight=[])
    with pytest.raises(ValueError, match='class_weight'):
        ClassWeightedCrossEntropyLoss(class_weight=[1.0, -1.0])
    with pytest.raises(ValueError, match='loss_name'):
        ClassWeightedCrossEntropyLoss(class_weight=[1.0], loss_name='ce')
    logits, label, _ = random_case()
    with pytest.raises(ValueError, match='5 classes'):
        class_weighted_cross_entropy(logits, label, torch.ones(4))
    label[1, 0, 0] = 7
    with pytest.raises(ValueError, match='holds 7'):
        class_weighted_cross_entropy(logits, label, torch.ones(5, dtype=torch.float64))
