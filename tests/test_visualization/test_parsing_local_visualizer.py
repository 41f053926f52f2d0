"""ParsingLocalVisualizer: part colours, legend, persons with scores (pixel checks)."""
import os.path as osp
from unittest import mock

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import InstanceData, PixelData
from mmseg.structures import SegDataSample

from conftest import ROOT
from hp_mm.datasets import LIPDataset
from hp_mm.registry import VISUALIZERS
from hp_mm.visualization import ParsingLocalVisualizer
from hp_mm.visualization.parsing_local_visualizer import PERSON_COLORS

GREY = 128
CLASSES = ('background', 'hair', 'face')
PALETTE = ((0, 0, 0), (255, 0, 0), (0, 0, 255))


def _sample(kept=(True, True, False)):
    """A 120 x 160 grey image, hair (40 x 40) and face (40 x 40) of two persons, a third
    person suppressed (kept False)."""
    seg = torch.zeros(1, 120, 160, dtype=torch.long)
    seg[0, 60:100, 40:80] = 1
    seg[0, 60:100, 100:140] = 2
    parsings = torch.zeros(3, 120, 160, dtype=torch.uint8)
    parsings[0, 60:100, 40:80] = 1
    parsings[1, 60:100, 100:140] = 2
    parsings[2, 10:30, 10:30] = 2
    sample = SegDataSample()
    sample.pred_sem_seg = PixelData(data=seg)
    # pixel-centre boxes: the parts' outer pixel edges (columns 40..79 -> 39.5 .. 79.5)
    sample.pred_instances = InstanceData(
        bboxes=torch.tensor([[39.5, 59.5, 79.5, 99.5], [99.5, 59.5, 139.5, 99.5],
                             [9.5, 9.5, 29.5, 29.5]]),
        scores=torch.tensor([0.9, 0.6, 0.95]),
        part_scores=torch.tensor([[0.8, 0.1], [0.2, 0.7], [0.5, 0.5]]),
        parsings=parsings, kept=torch.tensor(kept))
    return sample


@pytest.fixture
def visualizer():
    return ParsingLocalVisualizer(name=f'vis_{id(object())}', classes=CLASSES, palette=PALETTE,
                                  alpha=0.6, font_size=10)


def test_registered_and_used_by_default_runtime():
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/default_runtime.py'))
    assert cfg.visualizer.type == 'ParsingLocalVisualizer'
    assert VISUALIZERS.get('ParsingLocalVisualizer') is ParsingLocalVisualizer


def test_draws_parts_persons_scores_and_legend(visualizer):
    img = np.full((120, 160, 3), GREY, np.uint8)
    with mock.patch.object(visualizer, 'draw_texts', wraps=visualizer.draw_texts) as texts:
        out = visualizer.add_datasample('x', img, _sample(), draw_gt=False, out_file=None)
    assert out.shape == (120, 160, 3)
    # parts: 0.6 * colour + 0.4 * image; the background (label 0) stays the image
    np.testing.assert_allclose(out[80, 60], [0.6 * 255 + 0.4 * GREY, 0.4 * GREY, 0.4 * GREY],
                               atol=1)
    np.testing.assert_allclose(out[80, 120], [0.4 * GREY, 0.4 * GREY, 0.6 * 255 + 0.4 * GREY],
                               atol=1)
    assert (out[110, 5] == GREY).all() and (out[110, 90] == GREY).all()
    # person 1 (score .9): its box's left edge is drawn on pixel column 40 (x = 39.5 + 0.5 in
    # matplotlib's corner coordinates) over the hair: 0.8 * box colour + 0.2 * what is below
    under = np.array([0.6 * 255 + 0.4 * GREY, 0.4 * GREY, 0.4 * GREY])
    np.testing.assert_allclose(out[80, 40], 0.8 * np.array(PERSON_COLORS[0]) + 0.2 * under,
                               atol=12)
    np.testing.assert_allclose(out[80, 100], 0.8 * np.array(PERSON_COLORS[1]) + 0.2 * (
        np.array([0.4 * GREY, 0.4 * GREY, 0.6 * 255 + 0.4 * GREY])), atol=12)
    assert (out[80, 35] == GREY).all()  # left of the edge: the image
    # the label sits on the box's top-left corner, on a solid box of the person's colour
    np.testing.assert_array_equal(out[57, 41], PERSON_COLORS[0])
    np.testing.assert_array_equal(out[57, 101], PERSON_COLORS[1])
    # the suppressed person (kept False) is not drawn, though it has the best score
    assert (out[20, 10] == GREY).all() and (out[8, 12] == GREY).all()
    labels = [c.args[0] for c in texts.call_args_list]
    # id by descending score among those drawn; top parts among the parts each one has
    assert labels[0] == '1: 0.90\nhair 0.80' and labels[1] == '2: 0.60\nface 0.70'
    assert labels[2] == ['hair', 'face']  # legend of the classes present
    (x, y), (_, y2) = texts.call_args_list[2].args[1]  # right / top of each entry
    np.testing.assert_array_equal(out[int(y) + 1, int(x) - 2], PALETTE[1])
    np.testing.assert_array_equal(out[int(y2) + 1, int(x) - 2], PALETTE[2])
    assert (out[int(y) + 1, int(x) + 1] == GREY).all()


def test_score_threshold_ids_and_gt_panel(visualizer):
    img = np.full((120, 160, 3), GREY, np.uint8)
    sample = _sample(kept=(True, True, True))
    sample.gt_sem_seg = PixelData(data=torch.zeros(1, 120, 160, dtype=torch.long))
    sample.pred_instances.ids = torch.tensor([7, 3, 0])  # CIHP human ids; 0 = not shown
    visualizer.score_thr = 0.7
    with mock.patch.object(visualizer, 'draw_texts', wraps=visualizer.draw_texts) as texts:
        out = visualizer.add_datasample('x', img, sample, with_labels=False)
    assert out.shape == (120, 320, 3)  # GT | prediction
    assert (out[:, :160] == GREY).all()  # an empty GT: nothing drawn, no legend
    assert [c.args[0] for c in texts.call_args_list] == ['7: 0.90\nhair 0.80']
    pred = out[:, 160:]
    assert (pred[57, 101] != PERSON_COLORS[1]).any()  # score .6 < score_thr
    np.testing.assert_array_equal(pred[57, 41], PERSON_COLORS[6])  # colour of id 7


def test_errors_and_defaults():
    vis = ParsingLocalVisualizer(name='vis_defaults')
    assert vis.dataset_meta['classes'] == list(LIPDataset.METAINFO['classes'])  # the default
    assert len(vis.dataset_meta['palette']) == 20
    vis.set_dataset_meta(['a', 'b', 'c'])  # classes only: a palette is made
    assert len(vis.dataset_meta['palette']) == 3 and vis.dataset_meta['palette'][0] == (0, 0, 0)
    sample = SegDataSample()
    sample.pred_sem_seg = PixelData(data=torch.zeros(1, 5, 5, dtype=torch.long))
    with pytest.raises(ValueError, match='5x5 but the image is 6x6'):
        vis.add_datasample('x', np.zeros((6, 6, 3), np.uint8), sample)
