import itertools
import math

import pytest
import torch

from hp_mm.models.heads import PartContrastiveHead, hungarian_part_matching, part_info_nce


def test_hungarian_returns_the_maximising_permutation():
    # greedy (row by row, best column) would take 0->0 (0.9) and then 1->1 (0.1): total 1.0;
    # the optimum is 0->1, 1->0 (0.8 + 0.85 = 1.65)
    sim = torch.tensor([[[0.9, 0.8, 0.0], [0.85, 0.1, 0.0], [0.0, 0.0, 0.5]],
                        [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    perm = hungarian_part_matching(sim)
    assert perm.tolist() == [[1, 0, 2], [2, 0, 1]]
    g = torch.Generator().manual_seed(0)
    sim = torch.randn(6, 4, 4, generator=g)
    perm = hungarian_part_matching(sim)
    for b in range(6):
        best = max(itertools.permutations(range(4)),
                   key=lambda p: sum(float(sim[b, i, p[i]]) for i in range(4)))
        assert perm[b].tolist() == list(best)


def test_info_nce_equals_hand_computation():
    q = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])  # (1, 2, 2)
    s = math.sqrt(0.5)
    k = torch.tensor([[[0.0, 1.0], [s, s]]])
    tau = 0.5
    # similarities: q0.k0 = 0, q0.k1 = s, q1.k0 = 1, q1.k1 = s; Hungarian: 0->1, 1->0 (s + 1)
    l0 = -(s / tau - math.log(math.exp(0 / tau) + math.exp(s / tau)))
    l1 = -(1 / tau - math.log(math.exp(1 / tau) + math.exp(s / tau)))
    got = part_info_nce(q, k, temperature=tau)
    assert got.item() == pytest.approx(l0 + l1, abs=1e-6)  # eq. 1 sums over the parts
    # batch mean, with given positives
    pos = torch.tensor([[0, 1]])
    l0p = -(0 / tau - math.log(math.exp(0 / tau) + math.exp(s / tau)))
    l1p = -(s / tau - math.log(math.exp(1 / tau) + math.exp(s / tau)))
    got = part_info_nce(q.repeat(2, 1, 1), k.repeat(2, 1, 1), tau, pos.repeat(2, 1))
    assert got.item() == pytest.approx(l0p + l1p, abs=1e-6)


def test_head_embeddings_and_weighted_loss():
    torch.manual_seed(0)
    head = PartContrastiveHead(in_channels=8, num_parts=3, part_channels=4, temperature=0.1,
                               loss_weight=0.5, norm_cfg=dict(type='BN'))
    x1, x2 = torch.randn(2, 8, 5, 5), torch.randn(2, 8, 5, 5)
    g = head(x1)
    assert g.shape == (2, 3, 4)
    assert torch.allclose(g.norm(dim=-1), torch.ones(2, 3), atol=1e-5)
    # the grouped convolution keeps the parts' channels apart
    assert head.group_conv.conv.groups == 3
    loss = head.loss(x1, x2)['loss_part_contrast']
    assert loss.item() == pytest.approx(0.5 * part_info_nce(head(x1), head(x2), 0.1).item(),
                                        rel=1e-5)
    loss.backward()
    assert head.reduce.conv.weight.grad is not None
    with pytest.raises(ValueError, match='num_parts >= 2'):
        PartContrastiveHead(num_parts=1)


def test_batch_negatives_add_the_other_images_parts():
    tau = 0.2
    g = torch.Generator().manual_seed(3)
    q = torch.nn.functional.normalize(torch.randn(2, 3, 4, generator=g), dim=-1)
    k = torch.nn.functional.normalize(torch.randn(2, 3, 4, generator=g), dim=-1)
    pos = torch.tensor([[1, 0, 2], [2, 1, 0]])
    total = 0.0
    for b in range(2):
        for i in range(3):
            logits = [float(q[b, i] @ k[bb, j]) / tau for bb in range(2) for j in range(3)]
            target = logits[b * 3 + int(pos[b, i])]
            total += -(target - math.log(sum(math.exp(x) for x in logits)))
    got = part_info_nce(q, k, tau, pos, negatives='batch')
    assert got.item() == pytest.approx(total / 2, abs=1e-5)
    # the trivial minimiser of eq. 1 (the same parts for every image) is no longer one
    const = torch.eye(3)[None].repeat(2, 1, 1)
    assert part_info_nce(const, const, 0.05).item() < 1e-6
    assert part_info_nce(const, const, 0.05, negatives='batch').item() > 1.0
