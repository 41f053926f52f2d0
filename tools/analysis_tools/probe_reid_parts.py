"""Does a re-ID model's feature map know where the person is? (ISP diagnostics)

On the training images of a re-ID set with ground-truth part masks (MiniHumans'
``hp_mm_part_masks``), at the feature map that ISP clusters (``M_g`` of an ISP model; the
backbone's last map, resized to 1/4 of the input, for a global baseline):

* ``activation``: ROC AUC of ISP's stage-1 activation ``||M_g||`` (eq. 3) for person
  against background, and the best foreground IoU any threshold of it reaches;
* ``linear_probe``: the foreground IoU of a supervised 1x1 linear classifier fitted on the
  frozen features of the first half of the images, scored on the second half (how much
  local person information the features hold at all);
* ``part_head`` (ISP models): the part classifier's P(foreground) on person / background
  pixels and the foreground IoU of its argmax;
* references: the best fixed box (one rectangle for every image, chosen on the ground
  truth) and "everything is foreground".

Example::

    python tools/analysis_tools/probe_reid_parts.py configs/isp/isp_r18_minihumans.py \
        work_dirs/isp_r18_minihumans/epoch_12.pth --images 256
"""
import argparse
import copy
import json

import torch
import torch.nn.functional as F
from mmengine.config import Config, DictAction
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from mmengine.runner import set_random_seed

from hp_mm.apis import init_model
from hp_mm.evaluation.functional import (best_fixed_box_iou, foreground_report,
                                         linear_probe_miou)
from hp_mm.models.task_modules.clustering.cascaded_clustering import isp_activation
from hp_mm.registry import DATASETS, MODELS
from hp_mm.utils import register_all_modules


def parse_args():
    parser = argparse.ArgumentParser(description='Foreground diagnostics of re-ID features')
    parser.add_argument('config')
    parser.add_argument('checkpoint', help="a checkpoint, or 'none' for the initialisation")
    parser.add_argument('--images', type=int, default=256, help='training images used')
    parser.add_argument('--part-mask-prefix', default='hp_mm_part_masks')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--seed', type=int, default=0,
                        help="seed of the layers a 'none' checkpoint leaves random (e.g. a new neck) "
                             'and of the linear probe')
    parser.add_argument('--out', help='write the results as JSON here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings (e.g. the data_root)')
    return parser.parse_args()


def resize_scale(cfg):
    for t in cfg.test_dataloader.dataset.pipeline:
        if t['type'] == 'ReIDResize':
            return t['scale']
    raise KeyError(f'{cfg.filename}: no ReIDResize in test_dataloader.dataset.pipeline')


def feature_map(model, inputs):
    """The map ISP clusters: ``M_g``, or the backbone's last map at 1/4 of the input."""
    if callable(getattr(model, 'extract_clustering_feat', None)):
        return model.extract_clustering_feat(inputs)
    feat = model.backbone(inputs)[-1]
    size = (inputs.shape[2] // 4, inputs.shape[3] // 4)
    return F.interpolate(feat, size=size, mode='bilinear', align_corners=True)


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    init_default_scope('hp_mm')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.checkpoint == 'none':  # the config's initialisation (e.g. ImageNet backbone weights)
        set_random_seed(args.seed)  # the layers the initialisation leaves random
        model = MODELS.build(cfg.model)
        model.init_weights()
        model.to(args.device)
    else:
        model = init_model(cfg, args.checkpoint, device=args.device)
    model.eval()
    ds_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    ds_cfg.update(part_mask_prefix=args.part_mask_prefix, pipeline=[])
    dataset = DATASETS.build(ds_cfg)
    n = min(args.images, len(dataset))
    if n < 2:
        raise ValueError(f'{ds_cfg.get("data_root")}: need at least 2 training images, got {n}')
    pipeline = Compose([dict(type='LoadImageFromFile'), dict(type='LoadReIDPartMask'),
                        dict(type='ReIDResize', scale=resize_scale(cfg)),
                        dict(type='PackReIDInputs')])
    feats, masks, probs = [], [], []
    with torch.no_grad():
        for start in range(0, n, 64):
            packed = [pipeline(copy.deepcopy(dataset.get_data_info(i)))
                      for i in range(start, min(n, start + 64))]
            data = model.data_preprocessor(dict(inputs=[p['inputs'] for p in packed],
                                                data_samples=[p['data_samples'] for p in packed]))
            f = feature_map(model, data['inputs']).float()
            gt = torch.stack([s.gt_part_seg.data for s in data['data_samples']]).float()
            gt = F.interpolate(gt, size=f.shape[2:], mode='nearest')[:, 0]
            feats.append(f.cpu())
            masks.append(((gt > 0) & (gt != 255)).cpu())
            head = getattr(model, 'part_head', None)
            if head is not None:
                probs.append(head(f).softmax(1).cpu())
    feats, fg = torch.cat(feats), torch.cat(masks)
    res = dict(config=args.config, checkpoint=args.checkpoint, seed=args.seed, images=n,
               feature_shape=list(feats.shape[1:]))
    res['activation'] = foreground_report(isp_activation(feats), fg)
    half = n // 2
    flat = feats.permute(0, 2, 3, 1).reshape(n, -1, feats.shape[1])
    probe = linear_probe_miou(flat[:half].reshape(-1, feats.shape[1]), fg[:half].flatten().long(),
                              flat[half:].reshape(-1, feats.shape[1]), fg[half:].flatten().long(), 2,
                              seed=args.seed)
    res['linear_probe'] = dict(foreground_iou=probe['iou'][1], acc=probe['acc'])
    box_iou, box = best_fixed_box_iou(fg)
    res['best_fixed_box'] = dict(foreground_iou=box_iou, rows_cols=list(box))
    res['all_foreground_iou'] = 100 * float(fg.float().mean())
    if probs:
        p_fg = 1 - torch.cat(probs)[:, 0]
        pred = torch.cat(probs).argmax(1) > 0
        res['part_head'] = dict(
            p_fg_on_person=float(p_fg[fg].mean()), p_fg_on_background=float(p_fg[~fg].mean()),
            argmax_foreground_iou=100 * float((pred & fg).sum()) / max(int((pred | fg).sum()), 1))
    act, lp = res['activation'], res['linear_probe']
    print(f'{n} images, features {tuple(feats.shape[1:])}: activation AUC {act["auc"]:.3f}, '
          f'best threshold fg IoU {act["best_threshold_iou"]:.1f}; linear probe fg IoU '
          f'{lp["foreground_iou"]:.1f}; best fixed box {box_iou:.1f} (rows {box[0]}-{box[1]}, '
          f'cols {box[2]}-{box[3]}); everything foreground {res["all_foreground_iou"]:.1f}')
    if probs:
        ph = res['part_head']
        print(f'part head: P(fg) {ph["p_fg_on_person"]:.3f} on the person, '
              f'{ph["p_fg_on_background"]:.3f} on the background; argmax fg IoU '
              f'{ph["argmax_foreground_iou"]:.1f}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(res, f, indent=1)


if __name__ == '__main__':
    main()
