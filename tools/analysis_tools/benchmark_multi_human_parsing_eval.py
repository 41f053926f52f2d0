"""Time ``eval_multi_human_parsing`` (AP^p, PCP, AP^r, mIoU) on CIHP-like random images.

Each image (uint8 maps, as CIHP's PNGs) holds 1-6 persons; a person is an ellipse
inside a 3:1 box whose pixels take the part class of the nearest of 5-10 random
seeds (blob-like parts, 20 classes); later persons occlude earlier ones. The
predictions are the persons' own (unoccluded) maps, shifted by a few pixels, with
some parts relabelled (left/right swaps, other classes), 10 % of the persons missed
and 0-2 false-positive persons per image; scores and part scores are random.

Only the evaluation is timed. Peak RSS is the process's (``ru_maxrss``: data
included); the evaluation's own peak allocation is measured with ``tracemalloc`` in
a second, untimed run.

Example::

    python tools/analysis_tools/benchmark_multi_human_parsing_eval.py --num-images 100
"""
import argparse
import resource
import sys
import time
import tracemalloc

import numpy as np

from hp_mm.evaluation.functional.multi_human_parsing import (accumulate_image,
                                                             eval_multi_human_parsing,
                                                             summarize)

FLIP_PAIRS = ((14, 15), (16, 17), (18, 19))  # CIHP left/right arm, leg, shoe


def parse_args():
    parser = argparse.ArgumentParser(description='Benchmark the multi-person parsing metrics')
    parser.add_argument('--num-images', type=int, default=100)
    parser.add_argument('--height', type=int, default=480)
    parser.add_argument('--width', type=int, default=640)
    parser.add_argument('--num-classes', type=int, default=20)
    parser.add_argument('--max-persons', type=int, default=6)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--repeat', type=int, default=3, help='timed runs; the best is kept')
    return parser.parse_args()


def random_person(rng, height, width, num_classes):
    """A full-image uint8 part map of one blob-like person (0 outside it)."""
    h = int(rng.integers(height // 4, int(height * 0.9)))
    w = max(8, int(h * rng.uniform(0.3, 0.5)))
    y0 = int(rng.integers(-h // 4, height - 3 * h // 4))
    x0 = int(rng.integers(-w // 4, width - 3 * w // 4))
    ys = np.arange(max(y0, 0), min(y0 + h, height))
    xs = np.arange(max(x0, 0), min(x0 + w, width))
    parsing = np.zeros((height, width), dtype=np.uint8)
    if ys.size == 0 or xs.size == 0:
        return parsing
    yy = (ys[:, None] - (y0 + h / 2)) / (h / 2)
    xx = (xs[None, :] - (x0 + w / 2)) / (w / 2)
    body = yy**2 + xx**2 <= 1.0
    num_seeds = int(rng.integers(5, 11))
    seeds_y = rng.uniform(y0, y0 + h, num_seeds)
    seeds_x = rng.uniform(x0, x0 + w, num_seeds)
    classes = rng.choice(np.arange(1, num_classes), size=num_seeds, replace=False)
    dist = (ys[None, :, None] - seeds_y[:, None, None])**2 + \
        (xs[None, None, :] - seeds_x[:, None, None])**2
    labels = classes[np.argmin(dist, axis=0)].astype(np.uint8)
    parsing[ys[0]:ys[-1] + 1, xs[0]:xs[-1] + 1] = np.where(body, labels, 0)
    return parsing


def perturb(rng, parsing, num_classes):
    """A prediction of a gt person: shifted, some parts relabelled."""
    dy, dx = rng.integers(-8, 9, size=2)
    pred = np.roll(parsing, (int(dy), int(dx)), axis=(0, 1))
    lut = np.arange(256, dtype=np.uint8)
    if rng.random() < 0.3:  # left/right confusion
        for a, b in FLIP_PAIRS:
            if b < num_classes:
                lut[a], lut[b] = b, a
    present = np.unique(pred)
    present = present[present > 0]
    for c in present[rng.random(present.size) < 0.15]:  # a wrong class for some parts
        lut[c] = rng.integers(1, num_classes)
    return lut[pred]


def make_data(args):
    rng = np.random.default_rng(args.seed)
    gts, preds = [], []
    H, W, C = args.height, args.width, args.num_classes
    for _ in range(args.num_images):
        cat = np.zeros((H, W), dtype=np.uint8)
        inst = np.zeros((H, W), dtype=np.uint8)
        persons = []
        for pid in range(1, int(rng.integers(1, args.max_persons + 1)) + 1):
            parsing = random_person(rng, H, W, C)
            fg = parsing > 0
            cat[fg] = parsing[fg]
            inst[fg] = pid
            if rng.random() >= 0.1:  # 10 % missed
                persons.append(perturb(rng, parsing, C))
        for _ in range(int(rng.integers(0, 3))):  # false positives
            persons.append(random_person(rng, H, W, C))
        preds.append([
            dict(parsing=p, score=float(rng.uniform(0.05, 1.0)),
                 part_scores=rng.uniform(0.05, 1.0, C - 1) if rng.random() < 0.5 else None)
            for p in persons
        ])
        gts.append(dict(category_map=cat, instance_map=inst))
    return preds, gts


def main():
    args = parse_args()
    t0 = time.perf_counter()
    preds, gts = make_data(args)
    gen_s = time.perf_counter() - t0
    num_persons = sum(len(p) for p in preds)
    num_gt = sum(int(len(np.unique(g['instance_map'])) - 1) for g in gts)
    rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f'{args.num_images} images {args.height}x{args.width}, {args.num_classes} classes, '
          f'{num_gt} gt persons, {num_persons} predicted persons (generated in {gen_s:.1f} s)')

    times = []
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        res = eval_multi_human_parsing(preds, gts, args.num_classes)
        times.append(time.perf_counter() - t0)
    best = min(times)
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print('results: ' + ', '.join(f'{k} {v:.2f}' for k, v in res.items()))
    print(f'eval_multi_human_parsing: {best:.3f} s per {args.num_images} images '
          f'(best of {len(times)}: {", ".join(f"{t:.3f}" for t in times)}); '
          f'{1000 * best / args.num_images:.1f} ms per image; '
          f'{best * 100 / args.num_images:.3f} s per 100 images')

    tracemalloc.start()
    records = [accumulate_image(p, g, args.num_classes) for p, g in zip(preds, gts)]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert summarize(records, args.num_classes) == res
    rec_bytes = sum(
        np.asarray(v).nbytes if isinstance(v, np.ndarray) else sys.getsizeof(v)
        for r in records for v in r.values())
    print(f'peak RSS: {rss_peak:.0f} MiB (after data generation: {rss_data:.0f} MiB); '
          f'evaluation peak allocation (tracemalloc): {peak / 2**20:.1f} MiB; '
          f'per-image records: {rec_bytes / args.num_images / 1024:.1f} KiB per image')


if __name__ == '__main__':
    main()
