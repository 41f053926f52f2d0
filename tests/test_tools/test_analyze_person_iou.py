"""tools/analysis_tools/analyze_person_iou.py: per-person overlaps, hand-computed."""
import importlib.util
import os.path as osp

import numpy as np
import pytest

from conftest import ROOT

spec = importlib.util.spec_from_file_location(
    'analyze_person_iou', osp.join(ROOT, 'tools', 'analysis_tools', 'analyze_person_iou.py'))
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)


def test_image_part_iou_by_hand():
    # 2 x 4 image, classes 0 (background), 1, 2; one ignored pixel
    gt = np.array([[0, 0, 1, 1], [2, 2, 1, 255]])
    pred = np.array([[0, 1, 1, 1], [2, 0, 2, 2]])
    # valid pixels: 7. class 0: inter 1, union |gt 2| + |pred 2| - 1 = 3 -> 1/3
    # class 1: gt {(0,2),(0,3),(1,2)}, pred {(0,1),(0,2),(0,3)} -> 2 / 4
    # class 2: gt {(1,0),(1,1)}, pred {(1,0),(1,2)} (the ignored pixel is dropped) -> 1 / 3
    expected = (1 / 3 + 2 / 4 + 1 / 3) / 3
    assert tool.image_part_iou(pred, gt, 3) == pytest.approx(expected)
    # a class absent from both is left out of the mean, not counted as 0 or 1
    assert tool.image_part_iou(pred, gt, 5) == pytest.approx(expected)


def test_best_person_ious_take_the_best_prediction_per_gt_person():
    items = [
        {'qam': dict(person_miou=np.array([[0.2, np.nan], [0.6, 0.1]]), num_gt_persons=2)},
        {'qam': dict(person_miou=np.zeros((0, 1)), num_gt_persons=1)},  # nothing kept
    ]
    np.testing.assert_allclose(tool.best_person_ious(items), [0.6, 0.1, 0.0])
    text = tool.summarize_person_ious(np.array([0.6, 0.1, 0.0, 0.8]))
    assert '| 4 | 0.375 |' in text and '| 50.0 % | 25.0 % |' in text
