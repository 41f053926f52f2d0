"""BN-neck head, and mmdet's TripletLoss checked against the batch-hard formula."""
import pytest
import torch
from mmengine.registry import init_default_scope

from hp_mm.models.reid import BNNeckHead
from hp_mm.registry import MODELS


def test_mmdet_triplet_loss_is_batch_hard():
    """1-D features x = 0, 1, 3, 5 with labels 0, 0, 1, 1, margin 0.3:
    anchor 0: hardest positive 1, hardest negative 3 -> max(0, 1 - 3 + .3) = 0;
    anchor 1: 1, min(2, 4) = 2 -> 0; anchor 3: 2, min(3, 2) = 2 -> 0.3;
    anchor 5: 2, min(5, 4) = 4 -> 0. Mean 0.3 / 4."""
    init_default_scope('hp_mm')
    loss = MODELS.build(dict(type='mmdet.TripletLoss', margin=0.3, loss_weight=2.0))
    x = torch.tensor([[0.], [1.], [3.], [5.]])
    labels = torch.tensor([0, 0, 1, 1])
    assert loss(x, labels).item() == pytest.approx(2 * 0.3 / 4, abs=1e-5)
    # random batch against the formula written out
    g = torch.Generator().manual_seed(0)
    x = torch.randn(12, 5, generator=g)
    labels = torch.arange(4).repeat_interleave(3)
    d = torch.cdist(x, x)
    same = labels[:, None] == labels[None]
    ap = torch.where(same, d, torch.zeros(())).max(1).values
    an = torch.where(~same, d, torch.full((), float('inf'))).min(1).values
    expected = (ap - an + 0.3).clamp(min=0).mean()
    assert loss(x, labels).item() == pytest.approx(2 * expected.item(), abs=1e-5)


def test_head_shapes_losses_and_features():
    init_default_scope('hp_mm')
    head = BNNeckHead(in_channels=6, num_classes=4)
    head.init_weights()
    assert not head.bn.bias.requires_grad and head.classifier.bias is None
    assert 0 < head.classifier.weight.std().item() < 0.01
    feat = torch.randn(8, 6, requires_grad=True)
    labels = torch.arange(4).repeat_interleave(2)
    out = head(feat)
    assert out['cls_score'].shape == (8, 4) and out['bn_feat'].shape == (8, 6)
    losses = head.loss(feat, labels, prefix='global_')
    assert set(losses) == {'loss_global_cls', 'loss_global_triplet', 'global_acc'}
    # near-uniform logits: CE ~ log 4
    assert losses['loss_global_cls'].item() == pytest.approx(torch.log(torch.tensor(4.)).item(),
                                                             abs=0.05)
    (losses['loss_global_cls'] + losses['loss_global_triplet']).backward()
    assert feat.grad is not None and head.bn.bias.grad is None
    head.eval()
    torch.testing.assert_close(head.predict(feat), head.bn(feat))
    pre = BNNeckHead(6, 4, loss_triplet=None, test_feature='pre_bn')
    assert set(pre.loss(feat, labels)) == {'loss_cls', 'acc'}
    torch.testing.assert_close(pre.predict(feat), feat)


def test_dataset_meta_check():
    head = BNNeckHead(6, 4, loss_triplet=None)
    head.set_dataset_meta(dict(split='test', num_identities=9))  # test sets are ignored
    head.set_dataset_meta(dict(split='train', num_identities=4))
    with pytest.raises(ValueError, match='num_classes=4 .* 751 identities'):
        head.set_dataset_meta(dict(split='train', num_identities=751, dataset_name='M'))
    with pytest.raises(ValueError, match='test_feature'):
        BNNeckHead(6, 4, test_feature='after')
