"""Re-ID inference on a user's own person crops: features, ISP part maps, rankings.

    model = init_reid_model('configs/isp/isp_hrnet-w32_market1501.py', 'best.pth')
    queries = inference_reid(model, list_images('my_queries/'))     # list of data samples
    gallery = inference_reid(model, list_images('my_gallery/'))
    dist = reid_distance(queries, gallery, distance='aligned')      # (Nq, Ng)
    save_part_overlay('my_queries/a.jpg', queries[0], 'out/')      # ISP models only

Works with any hp_mm re-ID model whose ``predict`` sets ``pred_feature`` (the global
baseline, ISP); ISP models also give ``pred_part_seg`` (the part map at the image's
size) and the fields of the aligned distance.
"""
import os.path as osp
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import mmcv
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import _load_checkpoint, _load_checkpoint_to_model
from mmengine.utils import mkdir_or_exist

from hp_mm.evaluation.functional import aligned_distance, cosine_distance, euclidean_distance
from hp_mm.registry import MODELS
from .parsing_inference import colorize

#: Part colours (RGB): background black, then ISP's parts 1..K-1 top to bottom.
PART_PALETTE = [(0, 0, 0), (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200),
                (245, 130, 48), (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60)]
_ALIGNED = ('pred_global_feature', 'pred_foreground_feature', 'pred_part_features',
            'pred_part_visibility')
_SKIP = ('LoadPseudoLabels', 'LoadReIDPartMask', 'LoadAnnotations')


def init_reid_model(config: Union[str, Path, Config], checkpoint: Optional[str] = None,
                    device: str = 'cpu', cfg_options: Optional[dict] = None):
    """Build a re-ID model from its config and load a checkpoint (strictly).

    Args:
        config: Config file or :class:`Config` (its ``test_dataloader`` pipeline is
            the inference pipeline, minus annotation loaders).
        checkpoint (str, optional): Checkpoint file; None keeps the initial weights.
        device (str): e.g. ``'cpu'`` or ``'cuda:0'``.
        cfg_options (dict, optional): Overrides merged into the config.

    Returns:
        nn.Module: The model in eval mode, with ``cfg``.
    """
    cfg = Config.fromfile(str(config)) if isinstance(config, (str, Path)) else config
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.model.pretrained = None
    if isinstance(cfg.model.get('backbone'), dict):
        cfg.model.backbone.init_cfg = None
    init_default_scope(cfg.get('default_scope', 'hp_mm'))
    model = MODELS.build(cfg.model)
    if checkpoint is not None:
        ckpt = _load_checkpoint(checkpoint, map_location='cpu')
        _load_checkpoint_to_model(model, ckpt.get('state_dict', ckpt), strict=True)
    model.cfg = cfg
    return model.to(device).eval()


def _pipeline(cfg: Config, from_array: bool) -> Compose:
    steps = [dict(t) for t in cfg.test_dataloader.dataset.pipeline
             if t.get('type') not in _SKIP]
    steps[0] = dict(type='LoadImageFromNDArray') if from_array else dict(type='LoadImageFromFile')
    return Compose(steps)


@torch.no_grad()
def inference_reid(model, imgs: Union[str, np.ndarray, Sequence], batch_size: int = 16):
    """Re-ID features (and ISP part maps) of image files or BGR arrays (H, W, 3).

    Args:
        model (nn.Module): From :func:`init_reid_model`.
        imgs (str | np.ndarray | Sequence): One input or a list.
        batch_size (int): Images per forward pass.

    Returns:
        list (or one sample for a single input): data samples with ``pred_feature``
        (C,) and, for ISP, ``pred_part_seg`` (1, H, W) at the image's own size,
        ``pred_global_feature``, ``pred_foreground_feature``, ``pred_part_features``
        (K-1, C') and ``pred_part_visibility`` (K-1,).
    """
    single = not isinstance(imgs, (list, tuple))
    imgs = [imgs] if single else list(imgs)
    if not imgs:
        return []
    from_array = isinstance(imgs[0], np.ndarray)
    pipeline = _pipeline(model.cfg, from_array)
    results = []
    for start in range(0, len(imgs), batch_size):
        packed = [pipeline(dict(img=img) if from_array else dict(img_path=img))
                  for img in imgs[start:start + batch_size]]
        results.extend(model.test_step(dict(inputs=[p['inputs'] for p in packed],
                                            data_samples=[p['data_samples'] for p in packed])))
    return results[0] if single else results


def stack_features(results: Sequence) -> Dict[str, torch.Tensor]:
    """The predicted fields of several samples, stacked: ``pred_feature`` (N, C) and,
    when every sample has them, the aligned-distance fields."""
    out = dict(pred_feature=torch.stack([r.pred_feature.cpu() for r in results]))
    if all(all(k in r for k in _ALIGNED) for r in results):
        for k in _ALIGNED:
            out[k] = torch.stack([getattr(r, k).cpu() for r in results])
    return out


def reid_distance(query: Sequence, gallery: Sequence, distance: str = 'cosine',
                  aligned_mode: str = 'paper', normalize_feature: bool = True) -> np.ndarray:
    """Query-gallery distances, as :class:`hp_mm.evaluation.ReIDMetric` computes them.

    Args:
        query, gallery (Sequence): Data samples from :func:`inference_reid`.
        distance (str): ``'cosine'``, ``'euclidean'`` (of l2-normalised features with
            ``normalize_feature``) or ``'aligned'`` (ISP eq. 10 / the official variant).
        aligned_mode (str): ``'paper'`` or ``'official'``.
        normalize_feature (bool): For ``'euclidean'``.

    Returns:
        np.ndarray: (Nq, Ng) float32.
    """
    q, g = stack_features(query), stack_features(gallery)
    if distance == 'aligned':
        if _ALIGNED[0] not in q or _ALIGNED[0] not in g:
            raise KeyError("reid_distance(distance='aligned') needs an ISP model's part "
                           'features and visibilities')
        return aligned_distance(*(q[k] for k in _ALIGNED), *(g[k] for k in _ALIGNED),
                                mode=aligned_mode).numpy()
    xq, xg = q['pred_feature'].float(), g['pred_feature'].float()
    if distance == 'cosine':
        return cosine_distance(xq, xg).numpy()
    if distance == 'euclidean':
        if normalize_feature:
            xq, xg = (torch.nn.functional.normalize(x, dim=1) for x in (xq, xg))
        return euclidean_distance(xq, xg).numpy()
    raise ValueError(f"distance must be 'cosine', 'euclidean' or 'aligned', got {distance!r}")


def rank_gallery(distmat: np.ndarray, topk: int = 10) -> Tuple[np.ndarray, np.ndarray]:
    """Nearest ``topk`` gallery indices per query (ties by index) and their distances."""
    k = min(int(topk), distmat.shape[1])
    order = np.argsort(distmat, axis=1, kind='stable')[:, :k]
    return order, np.take_along_axis(distmat, order, axis=1)


def save_part_overlay(img: Union[str, np.ndarray], result, out_dir: str,
                      name: Optional[str] = None, alpha: float = 0.6,
                      palette: Sequence = PART_PALETTE) -> Dict[str, str]:
    """Write ``<name>_parts.png`` (8-bit part map) and ``<name>_parts.jpg`` (the image
    next to its colour overlay) from an ISP result's ``pred_part_seg``.

    Returns:
        dict: Paths, keys ``label`` and ``overlay``.
    """
    if 'pred_part_seg' not in result:
        raise KeyError('save_part_overlay: the result has no pred_part_seg (not an ISP model?)')
    image = mmcv.imread(img) if isinstance(img, str) else img
    if name is None:
        name = osp.splitext(osp.basename(img))[0] if isinstance(img, str) else 'result'
    label = result.pred_part_seg.data.squeeze(0).cpu().numpy().astype(np.uint8)
    if label.shape != image.shape[:2]:
        label = cv2.resize(label, image.shape[1::-1], interpolation=cv2.INTER_NEAREST)
    pal = list(palette)
    while len(pal) <= int(label.max()):
        pal.append(tuple(int(v) for v in np.random.default_rng(len(pal)).integers(0, 256, 3)))
    colour = colorize(label, pal)[..., ::-1]
    overlay = np.where(label[..., None] > 0,
                       (alpha * colour + (1 - alpha) * image).astype(np.uint8), image)
    mkdir_or_exist(out_dir)
    paths = dict(label=osp.join(out_dir, f'{name}_parts.png'),
                 overlay=osp.join(out_dir, f'{name}_parts.jpg'))
    cv2.imwrite(paths['label'], label)
    cv2.imwrite(paths['overlay'], np.concatenate([image, overlay], axis=1))
    return paths


def save_features(results: Sequence, names: Sequence[str], out_file: str) -> str:
    """Write the stacked features (:func:`stack_features`) and the image names to an
    ``.npz`` file; returns its path."""
    arrays = {k: v.numpy() for k, v in stack_features(results).items()}
    mkdir_or_exist(osp.dirname(osp.abspath(out_file)))
    np.savez(out_file, names=np.asarray(list(names)), **arrays)
    return out_file


def names_of(paths: Sequence[str], root: Optional[str] = None) -> List[str]:
    """Image names relative to ``root`` (or base names)."""
    return [osp.relpath(p, root) if root and osp.isdir(root) else osp.basename(p) for p in paths]
