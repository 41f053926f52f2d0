"""Linear probe of a C²L / PiCIE model's pixel features (a diagnostic, not an evaluation).

A 1x1 linear classifier is fitted with full supervision on the frozen features of the first
``--train-images`` training images (ground truth resized to the feature map, nearest) and
scored on the validation set at the feature map's resolution
(:func:`hp_mm.evaluation.functional.linear_probe_miou`). The features are l2-normalised per
pixel, as the cluster head sees them (``--raw``: as they are). The probe measures how much
class information a supervised linear read-out finds in the features (a reference, not a
bound of the Hungarian-matched mIoU, which is scored at the image's resolution); compare it
with the probe of the untrained network (checkpoint ``none``) to see whether training kept or
lost that information (feature collapse). ``--rgb`` adds the probe of the image itself,
averaged to the feature map.

Example::

    python tools/analysis_tools/probe_unsupervised_parsing.py \
        configs/c2l/picie_fpn-r18_minihumans-atr-3class.py none --rgb
    python tools/analysis_tools/probe_unsupervised_parsing.py \
        configs/c2l/picie_fpn-r18_minihumans-atr-3class.py work_dirs/picie/epoch_8.pth
"""
import argparse
import copy
import json

import torch
import torch.nn.functional as F
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import Runner, load_checkpoint

from hp_mm.evaluation.functional import linear_probe_miou
from hp_mm.registry import MODELS
from hp_mm.utils import register_all_modules


def parse_args():
    parser = argparse.ArgumentParser(description='Linear probe of C²L pixel features')
    parser.add_argument('config')
    parser.add_argument('checkpoint', help="a checkpoint, or 'none' for the initialisation")
    parser.add_argument('--train-images', type=int, default=400,
                        help='training images the probe is fitted on')
    parser.add_argument('--rgb', action='store_true', help='also probe the mean RGB')
    parser.add_argument('--raw', action='store_true',
                        help='probe the raw features (default: l2-normalised per pixel, '
                        'as the cluster head sees them)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', help='write the results as JSON here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings')
    return parser.parse_args()


def collect(model, dataset_cfg, pipeline, max_images, normalize=True):
    """Features (P, C), mean RGB (P, 3) and labels (P,) of the first ``max_images`` images."""
    ds = copy.deepcopy(dataset_cfg)
    ds.pipeline = pipeline
    ds.pop('indices', None)
    loader = Runner.build_dataloader(dict(
        batch_size=16, num_workers=0, dataset=ds,
        sampler=dict(type='DefaultSampler', shuffle=False)))
    feats, rgbs, labels, seen = [], [], [], 0
    with torch.no_grad():
        for batch in loader:
            data = model.data_preprocessor(batch, False)
            inputs = data['inputs']
            f = model.refine(model.extract_feat(inputs))[0]  # (B, C, h, w)
            if normalize:
                f = F.normalize(f, dim=1)
            rgb = F.adaptive_avg_pool2d(inputs.float(), f.shape[2:])
            for i, s in enumerate(data['data_samples']):
                if seen == max_images:
                    break
                gt = s.gt_sem_seg.data[None].float()  # (1, 1, H0, W0)
                gt = F.interpolate(F.interpolate(gt, size=inputs.shape[2:], mode='nearest'),
                                   size=f.shape[2:], mode='nearest').long().flatten()
                feats.append(f[i].flatten(1).T)
                rgbs.append(rgb[i].flatten(1).T)
                labels.append(gt)
                seen += 1
            if seen == max_images:
                break
    return torch.cat(feats), torch.cat(rgbs), torch.cat(labels), seen


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    init_default_scope('hp_mm')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = MODELS.build(cfg.model)
    if args.checkpoint != 'none':
        load_checkpoint(model, args.checkpoint, map_location='cpu')
    else:
        model.init_weights()
    model.eval()
    pipeline = cfg.val_dataloader.dataset.pipeline
    tr = collect(model, cfg.train_dataloader.dataset, pipeline, args.train_images, not args.raw)
    va = collect(model, cfg.val_dataloader.dataset, pipeline, None, not args.raw)
    classes = Runner.build_dataloader(cfg.val_dataloader).dataset.metainfo['classes']
    k = len(classes)
    results = dict(config=args.config, checkpoint=args.checkpoint, train_images=tr[3],
                   val_images=va[3], l2_normalized=not args.raw)
    for name, i in [('features', 0)] + ([('rgb', 1)] if args.rgb else []):
        res = linear_probe_miou(tr[i], tr[2], va[i], va[2], k, seed=args.seed)
        results[name] = res
        print(f'{name} probe: mIoU {res["mIoU"]:.2f}  acc {res["acc"]:.2f}  IoU ' +
              ', '.join(f'{c} {v:.2f}' for c, v in zip(classes, res['iou'])) +
              f'  ({tr[3]} train / {va[3]} val images)')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=1)


if __name__ == '__main__':
    main()
