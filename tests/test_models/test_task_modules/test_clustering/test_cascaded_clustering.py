"""ISP cascaded clustering on constructed feature maps (paper Sec. 3.2, eq. 3-4)."""
import math

import pytest
import torch

import hp_mm  # noqa: F401
from hp_mm.models.task_modules.clustering.cascaded_clustering import (CascadedClustering,
                                                                      cascaded_clustering,
                                                                      isp_activation)
from hp_mm.registry import TASK_UTILS

H, W, C = 16, 8, 12


def person(dirs, top, rng, present=(True, True, True), band=4, gradient=0.0):
    """One constructed feature map: low-norm background noise and, from row
    ``top`` down, one band of ``band`` rows per part (columns 2-5), each with
    its own direction ``dirs[p]`` (norm ~3) and small noise; ``gradient`` turns
    the direction inside a band row by row (towards channel C-1).

    Returns:
        tuple: feature map (C, H, W) and the planted labels (H, W), 0 = background.
    """
    f = torch.randn(C, H, W, generator=rng) * 0.05
    lab = torch.zeros(H, W, dtype=torch.long)
    for p, d in enumerate(dirs):
        if not present[p]:
            continue
        for r in range(band):
            row = top + p * band + r
            v = d * 3 + gradient * r * torch.eye(C)[C - 1] * 3
            f[:, row, 2:6] = v[:, None] + torch.randn(C, 4, generator=rng) * 0.05
            lab[row, 2:6] = p + 1
    return f, lab


def build(k=4, **kw):
    return TASK_UTILS.build(dict(type='CascadedClustering', num_classes=k, **kw))


def test_recovers_planted_foreground_and_parts_top_to_bottom():
    rng = torch.Generator().manual_seed(0)
    eye = torch.eye(C)
    feats, labs, groups = [], [], []
    for g, perm in enumerate([(0, 1, 2), (5, 3, 4), (8, 7, 6)]):  # channel order != row order
        dirs = [eye[i] for i in perm]
        for i in range(4):
            f, lab = person(dirs, top=1 + i, rng=rng)  # the person moves down image by image
            feats.append(f)
            labs.append(lab)
            groups.append(100 + 7 * g)  # any integer ids
    feats, labs = torch.stack(feats), torch.stack(labs)
    clustering = build(k=4)
    assert isinstance(clustering, CascadedClustering)
    out = clustering(feats, torch.tensor(groups))
    assert out.shape == (12, H, W) and out.dtype == torch.long
    assert torch.equal(out, labs)  # background 0; parts 1, 2, 3 from the top
    # solving the chunk together equals solving each identity alone
    for g in range(3):
        sl = slice(4 * g, 4 * g + 4)
        assert torch.equal(clustering(feats[sl], torch.tensor(groups[sl])), labs[sl])
    # the official sharpening keeps the same partition here
    assert torch.equal(build(k=4, sharpen=True)(feats, torch.tensor(groups)), labs)
    # eq. 3 / 4 are per-image scale invariant: huge activations (an untrained network in
    # eval(), BN statistics still 0 / 1) give the same labels instead of overflowing
    scale = torch.tensor([1e30, 1.0, 1e-20])[torch.arange(12) % 3][:, None, None, None]
    assert torch.equal(clustering(feats * scale, torch.tensor(groups)), labs)
    # K = 2: foreground / background only
    assert torch.equal(build(k=2)(feats, torch.tensor(groups)), (labs > 0).long())


def test_occluded_images_get_fewer_parts_with_the_same_numbering():
    """Identity 0: two of its five images lack the bottom part (occluded).
    Identity 1 (same chunk): all parts visible. The occluded images carry only
    labels 0-2 and these mean the same parts as in the full images."""
    rng = torch.Generator().manual_seed(1)
    eye = torch.eye(C)
    feats, labs, groups = [], [], []
    for i in range(5):
        f, lab = person([eye[3], eye[1], eye[2]], top=2, rng=rng,
                        present=(True, True, i >= 2))
        feats.append(f), labs.append(lab), groups.append(0)
    for i in range(3):
        f, lab = person([eye[4], eye[5], eye[6]], top=1 + i, rng=rng)
        feats.append(f), labs.append(lab), groups.append(1)
    out = build(k=4)(torch.stack(feats), torch.tensor(groups))
    assert torch.equal(out, torch.stack(labs))
    assert not (out[:2] == 3).any() and (out[2:5] == 3).any()


def test_identity_whose_images_all_lack_a_part_gets_consistent_labels():
    """K - 1 = 3 parts but every image of identity 0 shows two body regions
    only (say, no shoes anywhere). The third cluster then splits a region; the
    labels stay consistent: every image gets the same label at the same place
    on the person, wherever the person stands, and labels run top to bottom."""
    rng = torch.Generator().manual_seed(2)
    eye = torch.eye(C)
    feats, groups, tops = [], [], []
    for i in range(6):
        top = i % 3
        f, _ = person([eye[0], eye[1], eye[2]], top=top, rng=rng, present=(True, True, False),
                      band=5, gradient=0.6)  # a row gradient inside each region
        feats.append(f), groups.append(0), tops.append(top)
    f, full = person([eye[7], eye[8], eye[9]], top=1, rng=rng)  # another identity, all parts
    feats.append(f), groups.append(1)
    out = build(k=4)(torch.stack(feats), torch.tensor(groups))
    crops = torch.stack([out[i, t:t + 10] for i, t in enumerate(tops)])  # (6, 10, W) aligned
    assert (crops == crops[0]).all()  # identical label maps on the person
    body = crops[0][:, 2:6]
    assert (body > 0).all() and (crops[0][:, :2] == 0).all() and (crops[0][:, 6:] == 0).all()
    assert set(body.unique().tolist()) == {1, 2, 3}
    rows = torch.arange(10.)[:, None].expand(10, 4)
    mean_rows = [rows[body == k].mean().item() for k in (1, 2, 3)]
    assert mean_rows == sorted(mean_rows)
    for i, t in enumerate(tops):  # background outside the person, exactly
        outside = torch.ones(H, dtype=torch.bool)
        outside[t:t + 10] = False
        assert (out[i][outside] == 0).all()
    assert torch.equal(out[6], full)


def test_activation_eq3_and_sharpening_by_hand():
    # one 1 x 2 map, C = 2: vectors (3, 4) and (0, 1): norms 5 and 1 -> a = (1, 0.2)
    feats = torch.tensor([[[[3., 0.]], [[4., 1.]]]])
    a = isp_activation(feats)
    assert torch.allclose(a, torch.tensor([[[1.0, 0.2]]]))
    s = isp_activation(feats, sharpen=True)  # 1 / (1 + exp(-5(2a-1) - 3))
    assert math.isclose(s[0, 0, 0].item(), 1 / (1 + math.exp(-8)), rel_tol=1e-6)
    assert math.isclose(s[0, 0, 1].item(), 0.5, rel_tol=1e-6)
    assert torch.equal(isp_activation(torch.zeros(1, 3, 2, 2)), torch.zeros(1, 2, 2))


def test_degenerate_and_bad_inputs():
    # a 2 x 1 map: one foreground position, fewer than K - 1 = 3: it is part 1
    feats = torch.tensor([[[[3.], [0.1]]]])
    out = build(k=4)(feats, torch.tensor([0]))
    assert out.tolist() == [[[1], [0]]]
    with pytest.raises(ValueError, match='1 of 2 feature maps'):
        bad = torch.ones(2, 3, 4, 4)
        bad[1, 0, 0, 0] = float('nan')
        build(k=4)(bad, torch.tensor([0, 0]))
    with pytest.raises(ValueError, match='groups must have shape'):
        build(k=4)(torch.ones(2, 3, 4, 4), torch.tensor([0]))
    with pytest.raises(ValueError, match='>= 2'):
        CascadedClustering(num_classes=1)
    fk = TASK_UTILS.build(dict(type='BatchedKMeans', num_clusters=2, max_iter=20, seed=0))
    assert cascaded_clustering(torch.zeros(0, 3, 4, 4), torch.zeros(0, dtype=torch.long), 4,
                               fk, None).shape == (0, 4, 4)


def test_given_foreground_replaces_stage_one():
    """A loud background (norm 6, above the person's 3) fools stage 1; with the true
    foreground given (the hook's ``foreground='ground_truth'`` diagnostic), stage 2
    alone recovers the planted parts top to bottom."""
    rng = torch.Generator().manual_seed(3)
    eye = torch.eye(C)
    feats, labs, groups = [], [], []
    for g in range(2):
        dirs = [eye[i + 3 * g] for i in range(3)]
        for i in range(3):
            f, lab = person(dirs, top=1 + i, rng=rng)
            loud = (lab == 0) & (torch.arange(W)[None, :] >= 6)  # two loud columns
            f[C - 1][loud] = 6.0
            feats.append(f)
            labs.append(lab)
            groups.append(g)
    feats, labs, groups = torch.stack(feats), torch.stack(labs), torch.tensor(groups)
    clustering = build(k=4)
    fooled = clustering(feats, groups)
    assert ((fooled > 0) != (labs > 0)).any()  # stage 1 calls the loud columns foreground
    out = clustering(feats, groups, foreground=labs > 0)
    assert torch.equal(out, labs)
    with pytest.raises(ValueError, match='foreground must have shape'):
        clustering(feats, groups, foreground=(labs > 0)[:, :-1])
