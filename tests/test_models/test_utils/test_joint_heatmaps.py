import math

import pytest
import torch

from hp_mm.datasets import ATRDataset, LIPDataset, PascalPersonPartDataset
from hp_mm.models.utils.joint_heatmaps import (
    channel_argmax, gaussian_energy, heatmap_grid, joint_centers,
    joint_heatmaps, joint_loss, joint_loss_from_labels, resolve_joint_groups)

LIP_JOINT_GROUPS = LIPDataset.METAINFO['joint_groups']
ATR_JOINT_GROUPS = ATRDataset.METAINFO['joint_groups']
PASCAL_PERSON_PART_JOINT_GROUPS = PascalPersonPartDataset.METAINFO['joint_groups']
# mmseg's LIPDataset.METAINFO['classes']
LIP_CLASSES = ('Background', 'Hat', 'Hair', 'Glove', 'Sunglasses',
               'UpperClothes', 'Dress', 'Coat', 'Socks', 'Pants', 'Jumpsuits',
               'Scarf', 'Skirt', 'Face', 'Left-arm', 'Right-arm', 'Left-leg',
               'Right-leg', 'Left-shoe', 'Right-shoe')
ATR_CLASSES = ('background', 'hat', 'hair', 'sunglass', 'upper-clothes',
               'skirt', 'pants', 'dress', 'belt', 'left-shoe', 'right-shoe',
               'face', 'left-leg', 'right-leg', 'left-arm', 'right-arm', 'bag',
               'scarf')
PASCAL_CLASSES = ('Background', 'Head', 'Torso', 'Upper Arms', 'Lower Arms',
                  'Upper Legs', 'Lower Legs')


def _rows(membership):
    return [set(torch.nonzero(row).flatten().tolist()) for row in membership]


def test_resolve_lip_groups():
    m = resolve_joint_groups(LIP_JOINT_GROUPS, LIP_CLASSES)
    assert m.shape == (9, 20) and m.dtype == torch.long
    # the paper's 9 joints, in its order H, U, L, RA, LA, RL, LL, RS, LS
    assert _rows(m) == [{1, 2, 4, 13}, {5, 7, 11}, {9, 12}, {15}, {14}, {17},
                        {16}, {19}, {18}]


def test_resolve_other_datasets():
    m = resolve_joint_groups(ATR_JOINT_GROUPS, ATR_CLASSES)
    assert _rows(m) == [{1, 2, 3, 11}, {4, 17}, {5, 6}, {15}, {14}, {13},
                        {12}, {10}, {9}]
    m = resolve_joint_groups(PASCAL_PERSON_PART_JOINT_GROUPS, PASCAL_CLASSES)
    assert _rows(m) == [{1}, {2}, {3, 4}, {5, 6}]
    # lists, as a config file loader produces them
    m = resolve_joint_groups([['head', ['Head']], ['torso', 'Torso']],
                             list(PASCAL_CLASSES))
    assert _rows(m) == [{1}, {2}]


def test_resolve_unknown_class_names_joint_class_and_classes():
    groups = (('head', ('Hat', 'Hair')), ('upper_body', ('Upper-Clothes', )))
    with pytest.raises(ValueError) as err:
        resolve_joint_groups(groups, LIP_CLASSES)
    msg = str(err.value)
    assert "'upper_body'" in msg and "'Upper-Clothes'" in msg
    assert 'UpperClothes' in msg and 'Right-shoe' in msg  # lists classes


@pytest.mark.parametrize('groups', [(), (('head', ()), ), (('head', ), ),
                                    ('head', )])
def test_resolve_malformed(groups):
    with pytest.raises(ValueError):
        resolve_joint_groups(groups, LIP_CLASSES)


def _hand_drawn_lip_map():
    """A 40 x 30 LIP map; centres worked out by hand in the test below."""
    lab = torch.zeros(40, 30, dtype=torch.long)
    lab[2:6, 10:20] = 2  # Hair: 40 px, mean (x, y) = (14.5, 3.5)
    lab[6:10, 12:18] = 13  # Face: 24 px, mean (14.5, 7.5)
    lab[10:20, 8:22] = 5  # UpperClothes: mean (14.5, 14.5)
    lab[10:18, 5:7] = 15  # Right-arm: mean (5.5, 13.5)
    lab[10:18, 23:25] = 14  # Left-arm: mean (23.5, 13.5)
    lab[38, 9] = 19  # Right-shoe: a single pixel at (9, 38)
    lab[0, :] = 255  # ignored pixels belong to no class
    lab[30:, 20:] = 255
    return lab


def test_joint_centers_hand_drawn():
    m = resolve_joint_groups(LIP_JOINT_GROUPS, LIP_CLASSES)
    centers, present = joint_centers(_hand_drawn_lip_map()[None], m)
    assert centers.shape == (1, 9, 2) and present.shape == (1, 9)
    # head = Hair + Face: y = (40 * 3.5 + 24 * 7.5) / 64 = 5.0
    expected = {
        0: (14.5, 5.0),
        1: (14.5, 14.5),
        3: (5.5, 13.5),
        4: (23.5, 13.5),
        7: (9.0, 38.0)
    }
    assert present[0].tolist() == [j in expected for j in range(9)]
    for j in range(9):
        want = expected.get(j, (0.0, 0.0))  # absent joints -> [0, 0]
        assert centers[0, j].tolist() == pytest.approx(want)


def test_joint_centers_batch_ignore_and_overlap():
    # a class may belong to two joints; labels outside [0, C) are no class
    m = resolve_joint_groups((('a', ('x', 'y')), ('b', ('y', ))),
                             ('bg', 'x', 'y'))
    lab = torch.full((3, 4, 5), 255, dtype=torch.long)
    lab[0, 1, 1] = 1
    lab[0, 3, 4] = 2
    lab[1, 2, 0] = 2
    lab[1, 0, 0] = -1
    lab[2] = 0
    centers, present = joint_centers(lab, m)
    assert present.tolist() == [[True, True], [True, True], [False, False]]
    assert centers[0].tolist() == [[2.5, 2.0], [4.0, 3.0]]
    assert centers[1].tolist() == [[0.0, 2.0], [0.0, 2.0]]
    assert centers[2].tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_heatmaps_peak_and_missing_region():
    m = resolve_joint_groups(LIP_JOINT_GROUPS, LIP_CLASSES)
    centers, present = joint_centers(_hand_drawn_lip_map()[None], m)
    hm = joint_heatmaps(centers, present, (40, 30), sigma=2.0)
    assert hm.shape == (1, 9, 40, 30)
    # right shoe: peak 1 exactly at its pixel (x=9, y=38)
    shoe = hm[0, 7]
    assert shoe[38, 9].item() == pytest.approx(1.0)
    assert divmod(int(shoe.argmax()), 30) == (38, 9)
    assert shoe[38, 11].item() == pytest.approx(math.exp(-4 / 8))
    # missing regions (lower body, legs, left shoe) -> all-zero heatmaps
    for j in (2, 5, 6, 8):
        assert not present[0, j]
        assert torch.count_nonzero(hm[0, j]) == 0


def test_heatmap_stride_samples_the_same_gaussians():
    centers = torch.tensor([[[7.3, 4.6], [20.0, 11.0]]])
    present = torch.tensor([[True, True]])
    full = joint_heatmaps(centers, present, (17, 23), sigma=4.0)
    coarse = joint_heatmaps(centers, present, (17, 23), sigma=4.0, stride=3)
    assert coarse.shape == (1, 2, 6, 8)  # ceil(17 / 3), ceil(23 / 3)
    # heatmap pixel u samples label pixel 3u + 1
    torch.testing.assert_close(coarse, full[:, :, 1::3, 1::3])
    ys, xs = heatmap_grid((17, 23), 4)
    assert ys.tolist() == [1.5, 5.5, 9.5, 13.5, 17.5]
    assert xs.tolist() == [1.5, 5.5, 9.5, 13.5, 17.5, 21.5]


def test_gaussian_energy():
    centers = torch.tensor([[[150.3, 149.6]]])
    present = torch.ones(1, 1, dtype=torch.bool)
    for sigma, stride in ((3.0, 1), (8.0, 8), (24.0, 4)):
        hm = joint_heatmaps(centers, present, (301, 301), sigma, stride)
        assert hm.pow(2).sum().item() == pytest.approx(
            gaussian_energy(sigma, stride), rel=1e-3)


def test_joint_loss_identical_is_zero():
    m = resolve_joint_groups(LIP_JOINT_GROUPS, LIP_CLASSES)
    lab = _hand_drawn_lip_map()[None].repeat(2, 1, 1)
    centers, present = joint_centers(lab, m)
    hm = joint_heatmaps(centers, present, (40, 30), 3.0)
    assert joint_loss(hm, hm).tolist() == [0.0, 0.0]
    assert joint_loss_from_labels(lab, lab, m, 3.0, 2).tolist() == [0.0, 0.0]


def test_joint_loss_scale():
    sigma = 6.0
    size = (200, 200)
    gt_c = torch.tensor([[[100.0, 100.0]] * 3])
    gt_p = torch.tensor([[True, True, False]])
    pred_c = torch.tensor([[[100.0 + 9.0, 100.0], [0.0, 0.0], [60.0, 60.0]]])
    pred_p = torch.tensor([[True, False, True]])
    hm_gt = joint_heatmaps(gt_c, gt_p, size, sigma)
    hm_pred = joint_heatmaps(pred_c, pred_p, size, sigma)
    # literal Eq. 1: 1 / (2 J) * sum of squared pixel differences
    raw = (hm_pred - hm_gt).pow(2).sum() / (2 * 3)
    assert joint_loss(hm_pred, hm_gt).item() == pytest.approx(raw.item())
    # normalised: a shift d gives 2 (1 - exp(-d^2 / (4 sigma^2))); a joint
    # present in one map only gives 1
    shifted = 2 * (1 - math.exp(-81 / (4 * sigma**2)))
    got = joint_loss(hm_pred, hm_gt, num_joints=3, sigma=sigma)
    assert got.item() == pytest.approx((shifted + 1 + 1) / 6, rel=1e-3)
    got = joint_loss(
        hm_pred, hm_gt, num_joints=torch.tensor([0]), sigma=sigma)
    assert got.item() == pytest.approx((shifted + 1 + 1) / 2, rel=1e-3)


def test_joint_loss_from_labels_bounded():
    g = torch.Generator().manual_seed(0)
    m = resolve_joint_groups(LIP_JOINT_GROUPS, LIP_CLASSES)
    pred = torch.randint(0, 20, (4, 64, 48), generator=g)
    gt = torch.randint(0, 20, (4, 64, 48), generator=g)
    gt[1] = 0  # no joint in the ground truth
    loss = joint_loss_from_labels(pred, gt, m, sigma=8.0, stride=4)
    assert loss.shape == (4, )
    assert ((loss >= 0) & (loss <= 1)).all()
    # all 9 joints in pred only -> each contributes exactly 1 -> 9 / 18
    assert loss[1].item() == pytest.approx(0.5, rel=1e-2)
    # far-apart joints -> close to the upper bound
    pred2 = torch.zeros(1, 100, 100, dtype=torch.long)
    gt2 = torch.zeros(1, 100, 100, dtype=torch.long)
    pred2[0, 10:15, 10:15] = 14
    gt2[0, 85:90, 85:90] = 14
    assert joint_loss_from_labels(pred2, gt2, m, 4.0).item() == \
        pytest.approx(1.0, abs=1e-3)


def test_bad_arguments():
    with pytest.raises(ValueError):
        joint_centers(torch.zeros(4, 4, dtype=torch.long),
                      torch.ones(1, 2, dtype=torch.long))
    with pytest.raises(ValueError):
        joint_heatmaps(torch.zeros(1, 1, 2), torch.ones(1, 1).bool(), (4, 4),
                       sigma=0.0)
    with pytest.raises(ValueError):
        joint_loss(torch.zeros(1, 2, 4, 4), torch.zeros(1, 2, 4, 5))


def test_channel_argmax_matches_argmax_with_ties():
    g = torch.Generator().manual_seed(0)
    logits = torch.randint(0, 3, (2, 5, 6, 7), generator=g).float()  # ties
    assert torch.equal(channel_argmax(logits), logits.argmax(1))
    nhwc = logits.contiguous(memory_format=torch.channels_last)  # the NHWC path, same ties
    assert torch.equal(channel_argmax(nhwc), logits.argmax(1))
    assert torch.equal(channel_argmax(nhwc[:, :, 1:, :]), logits[:, :, 1:].argmax(1))
    logits = torch.randn(2, 300, 3, 4, generator=g)  # > 255 classes
    assert torch.equal(channel_argmax(logits), logits.argmax(1))
    assert channel_argmax(logits).dtype == torch.long
