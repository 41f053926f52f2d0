"""Self-supervised joints of a parsing map, their heatmaps and the joint loss.

The pure-torch core of the structure-sensitive loss of LIP (Gong et al.,
"Look into Person: Self-supervised Structure-sensitive Learning and A New
Benchmark for Human Parsing", CVPR 2017, Sec. 4.2). A *joint* is the centre of
mass of the union of a few part classes (e.g. head = hat + hair + sunglasses +
face); it is rendered as a Gaussian heatmap, as pose estimators render
keypoints, and the joint structure loss compares the heatmaps of the predicted
and of the ground-truth parsing maps (paper Eq. 1):

.. math::

    L_{joint} = \\frac{1}{2N} \\sum_{i=1}^{N} \\| c_i^p - c_i^{gt} \\|_2^2

Only torch is imported here (no registry, no mmengine), so a test or a user can
call these functions alone.

Note:
    - N: batch size (number of images)
    - J: number of joints
    - C: number of classes of the parsing map
    - H, W: height and width of the label map
    - h, w: height and width of the heatmap, ``ceil(H / stride)``,
      ``ceil(W / stride)``
"""
import math
from typing import Optional, Sequence, Tuple, Union

import torch
from torch import Tensor

JointGroups = Sequence[Tuple[str, Sequence[str]]]

# The joint groups themselves live with each dataset, in ``METAINFO['joint_groups']``
# (e.g. ``hp_mm.datasets.LIPDataset``): the dataset is the single source of its label set.


def resolve_joint_groups(joint_groups: JointGroups,
                         classes: Sequence[str]) -> Tensor:
    """Turn named joint groups into a joint x class membership matrix.

    Args:
        joint_groups (Sequence[tuple[str, Sequence[str]]]): ``(joint_name,
            (class_name, ...))`` pairs, e.g. :data:`LIP_JOINT_GROUPS`. Lists
            (as a config loader makes them) are accepted as well as tuples.
        classes (Sequence[str]): The dataset's class names, in label order
            (``metainfo['classes']``).

    Returns:
        Tensor: ``membership`` of shape (J, C), dtype long, ``membership[j, c]
        = 1`` if class ``c`` belongs to joint ``j``, else 0.

    Raises:
        ValueError: If a group is malformed, is empty, or names a class that
            ``classes`` does not have (the message names the joint, the
            unknown class and lists the available classes).
    """
    classes = list(classes)
    index = {name: i for i, name in enumerate(classes)}
    groups = list(joint_groups)
    if len(groups) == 0:
        raise ValueError('joint_groups is empty: give at least one '
                         '(joint_name, (class_name, ...)) pair.')
    membership = torch.zeros(len(groups), len(classes), dtype=torch.long)
    for j, group in enumerate(groups):
        if (isinstance(group, str) or not isinstance(group, Sequence)
                or len(group) != 2):
            raise ValueError(
                f'joint_groups[{j}] = {group!r} is not a '
                '(joint_name, (class_name, ...)) pair.')
        joint_name, class_names = group
        if isinstance(class_names, str):
            class_names = (class_names, )
        if len(class_names) == 0:
            raise ValueError(f'Joint {joint_name!r} has no classes.')
        for name in class_names:
            if name not in index:
                raise ValueError(
                    f'Joint {joint_name!r} names class {name!r}, which the '
                    f'dataset does not have. Available classes: {classes}.')
            membership[j, index[name]] = 1
    return membership


def channel_argmax(logits: Tensor) -> Tensor:
    """Class map ``logits.argmax(1)``, faster on CPU.

    On CPU, torch 2.x's ``argmax`` over a non-innermost dimension is about
    10x slower than ``amax``; there the first maximal index is found with
    ``amax``, a comparison and an ``amax`` over reversed class indices (same
    result for finite scores, ties go to the lowest class). NHWC logits
    (``channels_last``) take ``max`` over the innermost class dimension
    instead; other devices use ``argmax``.

    Args:
        logits (Tensor): Scores of shape (N, C, H, W).

    Returns:
        Tensor: Class indices of shape (N, H, W), long.
    """
    if logits.device.type != 'cpu':
        return logits.argmax(dim=1)
    if logits.dim() == 4 and not logits.is_contiguous() and \
            logits.is_contiguous(memory_format=torch.channels_last):
        # NHWC (a channels_last model): classes are innermost, where max is fast
        return logits.permute(0, 2, 3, 1).max(dim=-1)[1]
    C = logits.shape[1]
    is_max = logits == logits.amax(dim=1, keepdim=True)
    dtype = torch.uint8 if C <= 256 else torch.long
    shape = (1, C) + (1, ) * (logits.dim() - 2)
    # reversed index, so that the max over the maximal classes is the lowest
    reverse = torch.arange(C - 1, -1, -1, dtype=dtype).view(shape)
    top = is_max.to(dtype).mul_(reverse).amax(dim=1)
    return (C - 1) - top.long()


def joint_centers(label_map: Tensor,
                  membership: Tensor) -> Tuple[Tensor, Tensor]:
    """Centre of mass of every joint region of a batch of label maps.

    The region of joint ``j`` is the union of the pixels of its classes
    (``membership[j] == 1``); its centre is the mean ``(x, y)`` pixel index
    (column, row) of that region. Pixels whose label is outside ``[0, C)``,
    such as ``ignore_index`` (255), belong to no class.

    Vectorised over images and joints: two integer ``bincount`` over the
    pixels give the per (image, row, class) and (image, column, class) pixel
    counts, whose weighted sums are exact (integer) coordinate sums. Each
    bin index is one broadcast add of the label to a small (image, row) or
    (image, column) offset table.

    Args:
        label_map (Tensor): Label map of shape (N, H, W), integer dtype.
        membership (Tensor): Joint x class membership of shape (J, C), 0/1,
            from :func:`resolve_joint_groups`.

    Returns:
        tuple[Tensor, Tensor]:

        - centers (Tensor): Shape (N, J, 2), float32, ``[x, y]`` in label-map
          pixels; ``[0, 0]`` where the joint is absent.
        - present (Tensor): Shape (N, J), bool, whether the joint has at least
          one pixel.
    """
    if label_map.dim() != 3:
        raise ValueError(
            f'label_map must be (N, H, W), got {tuple(label_map.shape)}.')
    N, H, W = label_map.shape
    J, C = membership.shape
    device = label_map.device
    label = label_map.long()
    # K = C + 1 class slots: labels outside [0, C) go to slot C, dropped.
    K = C + 1
    label = torch.where((label >= 0) & (label < C), label, C)
    img = torch.arange(N, device=device).view(N, 1)
    rows = torch.arange(H, device=device)
    cols = torch.arange(W, device=device)
    offset_y = ((img * H + rows) * K).view(N, H, 1)
    offset_x = ((img * W + cols) * K).view(N, 1, W)
    hist_y = torch.bincount((offset_y + label).flatten(), minlength=N * H * K)
    hist_x = torch.bincount((offset_x + label).flatten(), minlength=N * W * K)
    hist_y = hist_y.view(N, H, K)[..., :C].double()  # (N, H, C)
    hist_x = hist_x.view(N, W, K)[..., :C].double()  # (N, W, C)
    count_c = hist_y.sum(1)  # (N, C)
    sum_y_c = torch.einsum('nhc,h->nc', hist_y, rows.double())
    sum_x_c = torch.einsum('nwc,w->nc', hist_x, cols.double())
    # Group classes into joints: (N, C) @ (C, J) -> (N, J), exact in float64.
    member = membership.to(device=device, dtype=torch.float64).t()
    count = count_c @ member
    present = count > 0
    denom = count.clamp(min=1)
    centers = torch.stack([sum_x_c @ member / denom, sum_y_c @ member / denom],
                          dim=-1)
    centers = centers * present.unsqueeze(-1)
    return centers.float(), present


def heatmap_grid(size: Tuple[int, int],
                 stride: int = 1,
                 device: Union[torch.device, str, None] = None
                 ) -> Tuple[Tensor, Tensor]:
    """Label-map coordinates of the heatmap pixel centres.

    Heatmap pixel ``u`` covers the label pixels
    ``[u * stride, (u + 1) * stride)`` and samples their centre, ``u * stride + (stride - 1) / 2``.

    Args:
        size (tuple[int, int]): Label-map size ``(H, W)``.
        stride (int): Heatmap stride (downsampling factor). Defaults to 1.
        device (torch.device | str, optional): Device of the outputs.

    Returns:
        tuple[Tensor, Tensor]: ``ys`` of shape (h, ) and ``xs`` of shape (w, ),
        float32.
    """
    H, W = size
    if stride < 1:
        raise ValueError(f'stride must be >= 1, got {stride}.')
    h, w = math.ceil(H / stride), math.ceil(W / stride)
    offset = (stride - 1) / 2
    ys = torch.arange(h, device=device, dtype=torch.float32) * stride + offset
    xs = torch.arange(w, device=device, dtype=torch.float32) * stride + offset
    return ys, xs


def joint_heatmaps(centers: Tensor,
                   present: Tensor,
                   size: Tuple[int, int],
                   sigma: float,
                   stride: int = 1) -> Tensor:
    """Render each joint as a Gaussian heatmap (peak 1), zeros if absent.

    .. math::

        c_i(u, v) = \\exp\\left(-\\frac{(x_u - x_i)^2 + (y_v - y_i)^2}
        {2 \\sigma^2}\\right)

    where ``(x_u, y_v)`` is the label-map position sampled by heatmap pixel
    ``(u, v)`` (see :func:`heatmap_grid`). ``sigma`` and the centres are in
    label-map pixels, so ``stride`` only thins the sampling grid: the
    heatmaps of two strides describe the same Gaussians (a stride of 8, as the
    official implementation's 1/8-resolution label, costs 64x less than the
    full resolution; keep ``sigma >= stride`` so each Gaussian spans a few
    heatmap pixels). The Gaussian is separable, so the cost is one outer
    product per joint.

    Args:
        centers (Tensor): Joint centres of shape (N, J, 2), ``[x, y]`` in
            label-map pixels.
        present (Tensor): Shape (N, J), bool; absent joints get an all-zero
            heatmap (the paper: "For the joints missed in the image, we simply
            replace the heatmaps with maps filled with zeros").
        size (tuple[int, int]): Label-map size ``(H, W)``.
        sigma (float): Gaussian standard deviation in label-map pixels.
        stride (int): Heatmap stride. Defaults to 1.

    Returns:
        Tensor: Heatmaps of shape (N, J, h, w), float32, with ``h = ceil(H /
        stride)`` and ``w = ceil(W / stride)``.
    """
    if sigma <= 0:
        raise ValueError(f'sigma must be > 0, got {sigma}.')
    ys, xs = heatmap_grid(size, stride, device=centers.device)
    cx = centers[..., 0:1].float()  # (N, J, 1)
    cy = centers[..., 1:2].float()
    gx = torch.exp(-(xs - cx)**2 / (2 * sigma**2))  # (N, J, w)
    gy = torch.exp(-(ys - cy)**2 / (2 * sigma**2))  # (N, J, h)
    gy = gy * present.unsqueeze(-1).to(gy.dtype)
    return gy.unsqueeze(-1) * gx.unsqueeze(-2)


def gaussian_energy(sigma: float, stride: int = 1) -> float:
    """Squared L2 norm (sum of squares over heatmap pixels) of one Gaussian.

    For a peak-1 Gaussian of standard deviation ``sigma`` (label pixels)
    sampled every ``stride`` pixels, :math:`\\sum_{u,v} c(u, v)^2 \\approx
    \\pi \\sigma^2 / stride^2` (the integral; the sampling error is below
    1e-4 relative for ``sigma >= stride``), less if the Gaussian is cut by the
    image border.

    Args:
        sigma (float): Gaussian standard deviation in label-map pixels.
        stride (int): Heatmap stride. Defaults to 1.

    Returns:
        float: :math:`\\pi (\\sigma / stride)^2`.
    """
    return math.pi * (sigma / stride)**2


def joint_loss(hm_pred: Tensor,
               hm_gt: Tensor,
               num_joints: Union[Tensor, int, None] = None,
               sigma: Optional[float] = None,
               stride: int = 1) -> Tensor:
    """Per-image joint structure loss (paper Eq. 1).

    .. math::

        L_{joint} = \\frac{1}{2N_J} \\sum_{i=1}^{J}
        \\frac{\\| c_i^p - c_i^{gt} \\|_2^2}{E}

    The norm is over heatmap pixels and the squared differences are
    **summed** over pixels (not averaged), then divided by the energy ``E =
    pi (sigma / stride)^2`` of one Gaussian (:func:`gaussian_energy`) when
    ``sigma`` is given. Why: the mean over pixels would shrink with the image
    area (``E / (h w)``, e.g. 0.03 for sigma 48 on a 473 x 473 crop) and a raw
    sum grows with ``(sigma / stride)^2``; divided by ``E`` the per-joint term
    does not depend on resolution, stride or sigma and has a fixed meaning:
    ``2 (1 - exp(-d^2 / (4 sigma^2)))`` for two Gaussians ``d`` pixels apart
    (0 when they coincide, 2 when far apart) and 1 for a joint present in only
    one map. With ``num_joints`` = the joints present in either map,
    ``L_joint`` lies in [0, 1], a sensible multiplicative weight.
    Without ``sigma`` it is the literal Eq. 1 on the given heatmaps.

    Args:
        hm_pred (Tensor): Heatmaps of the predicted parsing, shape
            (N, J, h, w).
        hm_gt (Tensor): Heatmaps of the ground truth, shape (N, J, h, w).
        num_joints (Tensor | int, optional): The :math:`N_J` of Eq. 1 per
            image, shape (N, ) or a number; clamped to >= 1. Defaults to J.
        sigma (float, optional): Gaussian sigma in label-map pixels used to
            render the heatmaps; if given, the pixel sums are divided by
            :func:`gaussian_energy`. Defaults to None (no normalisation).
        stride (int): Heatmap stride used to render them. Defaults to 1.

    Returns:
        Tensor: ``L_joint`` of each image, shape (N, ).
    """
    if hm_pred.shape != hm_gt.shape or hm_pred.dim() != 4:
        raise ValueError('hm_pred and hm_gt must both be (N, J, h, w), got '
                         f'{tuple(hm_pred.shape)} and {tuple(hm_gt.shape)}.')
    sq = (hm_pred - hm_gt).pow(2).flatten(2).sum(-1)  # (N, J)
    if sigma is not None:
        sq = sq / gaussian_energy(sigma, stride)
    if num_joints is None:
        num_joints = hm_pred.shape[1]
    if isinstance(num_joints, Tensor):
        num_joints = num_joints.to(sq.dtype).clamp(min=1)
    else:
        num_joints = max(float(num_joints), 1.0)
    return sq.sum(-1) / (2 * num_joints)


def joint_loss_from_labels(pred_label: Tensor,
                           gt_label: Tensor,
                           membership: Tensor,
                           sigma: float,
                           stride: int = 1) -> Tensor:
    """Joint structure loss of predicted vs ground-truth label maps.

    Centres (:func:`joint_centers`) -> Gaussian heatmaps
    (:func:`joint_heatmaps`) -> :func:`joint_loss` normalised by the Gaussian
    energy, with :math:`N_J` = the joints present in the ground truth or in
    the prediction (the paper's N "equals 9 for a full-body image"; counting
    joints that only the prediction has keeps the loss within [0, 1] also for
    images whose ground truth has few or no joints). Labels outside ``[0, C)``
    belong to no class: the caller sets the ignored pixels of both maps to
    such a value (e.g. -1).

    Args:
        pred_label (Tensor): Predicted label map of shape (N, H, W).
        gt_label (Tensor): Ground-truth label map of shape (N, H, W).
        membership (Tensor): Shape (J, C), from :func:`resolve_joint_groups`.
        sigma (float): Gaussian sigma in label-map pixels.
        stride (int): Heatmap stride. Defaults to 1.

    Returns:
        Tensor: ``L_joint`` of each image, shape (N, ), in [0, 1].
    """
    size = tuple(gt_label.shape[-2:])
    c_pred, p_pred = joint_centers(pred_label, membership)
    c_gt, p_gt = joint_centers(gt_label, membership)
    hm_pred = joint_heatmaps(c_pred, p_pred, size, sigma, stride)
    hm_gt = joint_heatmaps(c_gt, p_gt, size, sigma, stride)
    num_joints = (p_pred | p_gt).sum(-1)
    return joint_loss(hm_pred, hm_gt, num_joints, sigma=sigma, stride=stride)
