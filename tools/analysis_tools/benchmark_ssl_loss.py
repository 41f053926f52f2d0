"""Time the structure-sensitive loss against plain cross-entropy.

Measures forward + backward per call on random logits (median, and min in
brackets, over ``--iters`` calls after ``--warmup`` calls) for:

- ``ce``: ``F.cross_entropy`` (mean over non-ignored pixels);
- ``ssl``: :class:`hp_mm.models.losses.StructureSensitiveLoss` (LIP's 9
  joints), of which ``joint`` is the no-grad joint-weight part alone.

Example::

    python tools/analysis_tools/benchmark_ssl_loss.py --batch 8 --size 128
"""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from hp_mm.datasets import LIPDataset
from hp_mm.models.losses import StructureSensitiveLoss
from hp_mm.models.utils import (channel_argmax, joint_loss_from_labels,
                                resolve_joint_groups)

LIP_CLASSES = LIPDataset.METAINFO['classes']
LIP_JOINT_GROUPS = LIPDataset.METAINFO['joint_groups']


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--size', type=int, default=128, help='H = W')
    parser.add_argument('--sigma', type=float, default=48.0)
    parser.add_argument('--stride', type=int, default=8)
    parser.add_argument('--iters', type=int, default=30)
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--channels-last', action='store_true',
                        help='NHWC logits, as a model with channels_last=True gives')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch.set_num_threads (default: torch default)')
    return parser.parse_args()


def sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_ms(fn, iters, warmup, device):
    """Return (median, min) wall time of ``fn`` in ms."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(iters):
        sync(device)
        t0 = time.perf_counter()
        fn()
        sync(device)
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), min(times)


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    num_classes = len(LIP_CLASSES)
    g = torch.Generator().manual_seed(0)
    shape = (args.batch, num_classes, args.size, args.size)
    logits = torch.randn(shape, generator=g).to(device)
    if args.channels_last:
        logits = logits.contiguous(memory_format=torch.channels_last)
    logits.requires_grad_(True)
    label = torch.randint(0, num_classes, (args.batch, args.size, args.size),
                          generator=g)
    label[:, :4] = 255
    label = label.to(device)
    ssl = StructureSensitiveLoss(
        LIP_JOINT_GROUPS, LIP_CLASSES, sigma=args.sigma,
        heatmap_stride=args.stride).to(device)
    membership = resolve_joint_groups(LIP_JOINT_GROUPS,
                                      LIP_CLASSES).to(device)

    def run_ce():
        logits.grad = None
        F.cross_entropy(logits, label, ignore_index=255).backward()

    def run_ssl():
        logits.grad = None
        ssl(logits, label, ignore_index=255).backward()

    def run_joint():
        with torch.no_grad():
            ignored = label == 255
            joint_loss_from_labels(
                channel_argmax(logits).masked_fill(ignored, -1),
                label.masked_fill(ignored, -1), membership, args.sigma,
                args.stride)

    ce, ce_min = time_ms(run_ce, args.iters, args.warmup, device)
    full, full_min = time_ms(run_ssl, args.iters, args.warmup, device)
    joint, joint_min = time_ms(run_joint, args.iters, args.warmup, device)
    print(f'logits {tuple(shape)} on {device} '
          f'(threads={torch.get_num_threads()}, channels_last={args.channels_last}), '
          f'sigma={args.sigma}, '
          f'heatmap_stride={args.stride}; median (min) of {args.iters} calls')
    print(f'cross-entropy fwd+bwd : {ce:8.2f} ms ({ce_min:.2f})')
    print(f'SSL loss fwd+bwd      : {full:8.2f} ms ({full_min:.2f})  '
          f'overhead {full - ce:+.2f} ms ({full_min - ce_min:+.2f}), '
          f'x{full / ce:.2f}')
    print(f'  joint weight alone  : {joint:8.2f} ms ({joint_min:.2f})')


if __name__ == '__main__':
    main()
