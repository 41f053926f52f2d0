"""How good is each person's parsing? The distribution behind AP^p_50 and PCP_50.

Runs ``tools/test.py``'s evaluation of a multi-person parser (``MultiHumanParsingMetric``) and,
from the same per-image records the metric scores, reports for every ground-truth person the
best mean part IoU (QANet's per-person overlap, background included) that any kept prediction
reaches: its quantiles and the share above 0.5, the threshold of AP^p_50 and PCP_50. With
ground-truth boxes (the default test set of the QANet configs) this is the parser's own quality,
free of detection errors. For a single-person parser (``HumanParsingMetric``) every image is one
person and its overlap is the same mean over the classes present in its prediction or ground truth.

    python tools/analysis_tools/analyze_person_iou.py configs/qanet/qanet_lite0_minihumans.py \
        work_dirs/qanet_lite0_minihumans/iter_3000.pth
    python tools/analysis_tools/analyze_person_iou.py configs/lip/fpn_lite0_minihumans.py \
        work_dirs/fpn_lite0_minihumans/iter_1550.pth
"""
import argparse

import numpy as np
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from hp_mm.evaluation.functional.confusion import rectangular_confusion_matrix
from hp_mm.evaluation.metrics import MultiHumanParsingMetric
from hp_mm.structures.person_parsing import mean_part_iou
from hp_mm.utils import register_all_modules


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--work-dir', default='work_dirs/analyze_person_iou')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    return parser.parse_args()


def best_person_ious(items) -> np.ndarray:
    """(G_total,) best mean part IoU of each gt person over the kept predictions (0 if none).

    Args:
        items (list[dict]): The metric's per-image ``{ranking: record}`` items; the overlaps do
            not depend on the ranking, so the first one (the model's) is read.
    """
    best = []
    for item in items:
        record = next(iter(item.values()))
        miou = np.nan_to_num(np.asarray(record['person_miou'], dtype=np.float64), nan=0.0)
        num_gt = record['num_gt_persons']
        best.append(miou.max(0) if miou.size else np.zeros(num_gt))
    return np.concatenate(best) if best else np.zeros(0)


def image_part_iou(pred: np.ndarray, gt: np.ndarray, num_classes: int,
                   ignore_index: int = 255) -> float:
    """Mean part IoU of one single-person image (background included), ignored pixels left out.

    Args:
        pred (ndarray): (H, W) predicted labels.
        gt (ndarray): (H, W) ground-truth labels.
        num_classes (int): C.
        ignore_index (int): Ground-truth label left out.
    """
    conf = rectangular_confusion_matrix(pred, gt, num_classes,
                                        counted=gt != ignore_index).numpy()
    inter = np.diag(conf).astype(np.float64)
    return float(mean_part_iou(inter, conf.sum(0) + conf.sum(1) - inter))


def summarize_person_ious(best: np.ndarray) -> str:
    """A one-table text summary of the per-person IoUs."""
    if best.size == 0:
        return 'no ground-truth persons'
    q = np.percentile(best, [10, 25, 50, 75, 90])
    return ('| persons | mean | p10 | p25 | median | p75 | p90 | > 0.5 | > 0.7 |\n'
            '|---|---|---|---|---|---|---|---|---|\n'
            f'| {best.size} | {best.mean():.3f} | ' + ' | '.join(f'{v:.3f}' for v in q) +
            f' | {100 * (best > 0.5).mean():.1f} % | {100 * (best > 0.7).mean():.1f} % |')


def main():
    args = parse_args()
    register_all_modules()
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    cfg.load_from = args.checkpoint
    cfg.work_dir = args.work_dir
    runner = Runner.from_cfg(cfg)
    metric = runner.test_evaluator.metrics[0]
    items, single = [], []
    if isinstance(metric, MultiHumanParsingMetric):
        compute = metric.compute_metrics

        def keep_records(results):
            items.extend(results)
            return compute(results)

        metric.compute_metrics = keep_records
    else:
        process = metric.process
        num_classes = len(runner.test_dataloader.dataset.metainfo['classes'])

        def score_images(data_batch, data_samples):
            for sample in data_samples:
                single.append(image_part_iou(
                    sample['pred_sem_seg']['data'].squeeze(0).cpu().numpy().astype(np.int64),
                    sample['gt_sem_seg']['data'].squeeze(0).cpu().numpy(), num_classes))
            return process(data_batch, data_samples)

        metric.process = score_images
    runner.test()
    print(summarize_person_ious(best_person_ious(items) if items else np.asarray(single)))


if __name__ == '__main__':
    main()
