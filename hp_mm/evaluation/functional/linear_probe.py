"""Linear probe of pixel features: how much class information a feature map holds.

A diagnostic for unsupervised parsing (and for ISP's part features): a 1x1 linear
classifier is fitted with full supervision to the ground truth of a *probe-train* set of
frozen features and scored on a held-out set: how much class information a linear read-out
finds in them. A trained model whose probe falls below the probe of its own random
initialisation has thrown class information away (feature collapse). Pure torch,
deterministic for a given ``seed``.

Note:
    N: pixels (positions); C: channels; K: classes.
"""
from typing import Dict

import torch
import torch.nn.functional as F
from torch import Tensor

from .confusion import iou_from_confusion, rectangular_confusion_matrix


def linear_probe_miou(train_feats: Tensor, train_labels: Tensor, test_feats: Tensor,
                      test_labels: Tensor, num_classes: int, iters: int = 300,
                      lr: float = 1e-2, seed: int = 0) -> Dict[str, object]:
    """Fit a linear classifier on (train_feats, train_labels), score it on the test set.

    Features are standardised with the training set's per-channel mean and standard
    deviation; the classifier is trained by full-batch Adam on the cross-entropy. Labels
    outside ``[0, num_classes)`` are ignored on both sides.

    Args:
        train_feats (Tensor): (N_train, C) features.
        train_labels (Tensor): (N_train,) class indices.
        test_feats (Tensor): (N_test, C) features.
        test_labels (Tensor): (N_test,) class indices.
        num_classes (int): K.
        iters (int): Adam steps. Defaults to 300.
        lr (float): Adam learning rate. Defaults to 1e-2.
        seed (int): Seed of the classifier's initialisation. Defaults to 0.

    Returns:
        dict: ``mIoU`` and ``acc`` (percent, test set), ``iou`` (K,) per class (percent;
        NaN for a class absent from both prediction and ground truth), ``train_acc``.
    """
    if train_feats.dim() != 2 or test_feats.dim() != 2 or \
            train_feats.shape[1] != test_feats.shape[1]:
        raise ValueError(f'features must be (N, C) with the same C, got '
                         f'{tuple(train_feats.shape)} and {tuple(test_feats.shape)}')
    if train_labels.shape != train_feats.shape[:1] or test_labels.shape != test_feats.shape[:1]:
        raise ValueError('labels must be (N,), one per feature row')
    keep_tr = (train_labels >= 0) & (train_labels < num_classes)
    keep_te = (test_labels >= 0) & (test_labels < num_classes)
    x_tr, y_tr = train_feats[keep_tr].float(), train_labels[keep_tr].long()
    x_te, y_te = test_feats[keep_te].float(), test_labels[keep_te].long()
    if x_tr.shape[0] == 0 or x_te.shape[0] == 0:
        raise ValueError('no labelled pixels in the probe-train or the test set')
    mean, std = x_tr.mean(0), x_tr.std(0, unbiased=False).clamp_min(1e-6)
    x_tr, x_te = (x_tr - mean) / std, (x_te - mean) / std
    gen = torch.Generator().manual_seed(seed)
    weight = (torch.randn(num_classes, x_tr.shape[1], generator=gen) * 0.01).requires_grad_()
    bias = torch.zeros(num_classes, requires_grad=True)
    opt = torch.optim.Adam([weight, bias], lr=lr)
    with torch.enable_grad():
        for _ in range(iters):
            opt.zero_grad()
            F.cross_entropy(F.linear(x_tr, weight, bias), y_tr).backward()
            opt.step()
    with torch.no_grad():
        train_acc = float((F.linear(x_tr, weight, bias).argmax(1) == y_tr).float().mean()) * 100
        pred = F.linear(x_te, weight, bias).argmax(1)
    conf = rectangular_confusion_matrix(pred, y_te, num_classes).double()
    iou = iou_from_confusion(conf) * 100
    return dict(mIoU=float(torch.nanmean(iou)), acc=float(conf.trace() / conf.sum()) * 100,
                iou=iou.tolist(), train_acc=train_acc)
