"""projects/qam_rescoring: QAM re-scoring of Mask R-CNN masks, loaded through custom_imports."""
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import load_state_dict
from mmengine.structures import InstanceData

from conftest import ROOT

CONFIGS = osp.join(ROOT, 'projects/qam_rescoring/configs')


def load_project_config(name, monkeypatch):
    """The project's config; ``Config.fromfile`` runs its ``custom_imports`` (root on the path)."""
    monkeypatch.syspath_prepend(ROOT)
    return Config.fromfile(osp.join(CONFIGS, name))


def test_qam_mask_scores_by_hand(monkeypatch):
    load_project_config('mask-rcnn_r50_fpn_1x_coco_qam-person.py', monkeypatch)
    from projects.qam_rescoring.qam_rescoring import qam_mask_scores
    probs = torch.tensor([
        [[0.9, 0.7, 0.3], [0.0, 0.6, 0.1]],  # foreground (p > 0.5): .9 .7 .6 -> S_p = 0.7333
        [[0.4, 0.2, 0.0], [0.1, 0.3, 0.5]],  # no foreground pixel: S_p = 0
        [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]],  # S_p = 1
    ])
    box = torch.tensor([0.5, 0.8, 0.81])
    s_q, s_p = qam_mask_scores(probs, box)
    torch.testing.assert_close(s_p, torch.tensor([2.2 / 3, 0.0, 1.0]))
    # Table 7 weights (1, 0, 1): S_q = sqrt(S_b * S_p)
    torch.testing.assert_close(s_q, torch.tensor([math.sqrt(0.5 * 2.2 / 3), 0.0, 0.9]))
    s_q, _ = qam_mask_scores(probs, box, quality_weights=(1.0, 0.0, 3.0))
    torch.testing.assert_close(s_q[0], torch.tensor((0.5 * (2.2 / 3)**3)**0.25))


@pytest.fixture
def model(monkeypatch):
    cfg = load_project_config('mask-rcnn_r50_fpn_1x_coco_qam-person.py', monkeypatch)
    from mmdet.registry import MODELS
    det = cfg.model.detector
    det.backbone.update(depth=18, init_cfg=None)  # small and random: fast on CPU
    det.neck.in_channels = [64, 128, 256, 512]
    det.test_cfg.rcnn.update(score_thr=0.0, max_per_img=20)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmdet'):
        return MODELS.build(cfg.model).eval()


def test_rescores_person_masks_only(model):
    assert type(model).__name__ == 'QAMRescoredDetector'
    assert model.rescored_labels() == [0]  # 'person' among COCO's classes
    soft = torch.zeros(3, 2, 2, dtype=torch.uint8)
    soft[0] = torch.tensor([[255, 204], [51, 0]])  # p = 1, .8, .2, 0: S_p = .9
    soft[1] = soft[0]
    soft[2] = torch.tensor([[127, 128], [0, 0]])  # only 128/255 is foreground
    inst = InstanceData(scores=torch.tensor([0.4, 0.4, 0.9]), labels=torch.tensor([0, 2, 0]),
                        masks=soft)
    out = model.rescore(inst, model.rescored_labels())
    expected = torch.tensor([math.sqrt(0.4 * 0.9), 0.4, math.sqrt(0.9 * 128 / 255)])
    torch.testing.assert_close(out.scores, expected)  # the car (label 2) keeps its score
    torch.testing.assert_close(out.det_scores, torch.tensor([0.4, 0.4, 0.9]))
    assert out.masks.dtype == torch.bool
    assert out.masks[2].tolist() == [[False, True], [False, False]]  # p >= 0.5


def test_end_to_end_prediction_and_plain_checkpoint(model):
    from mmdet.structures import DetDataSample
    data = dict(inputs=[torch.randint(0, 256, (3, 64, 64), dtype=torch.uint8,
                                      generator=torch.Generator().manual_seed(1))],
                data_samples=[DetDataSample(metainfo=dict(img_shape=(64, 64), ori_shape=(64, 64),
                                                          scale_factor=(1.0, 1.0)))])
    # a plain Mask R-CNN checkpoint (keys without 'detector.') loads strictly into the wrapper
    plain = {k: v.clone() for k, v in model.detector.state_dict().items()}
    plain['roi_head.bbox_head.fc_cls.weight'] *= 2
    load_state_dict(model, dict(plain), strict=True)
    assert torch.equal(model.detector.roi_head.bbox_head.fc_cls.weight,
                       plain['roi_head.bbox_head.fc_cls.weight'])

    from mmdet.datasets import CocoDataset
    with torch.no_grad():
        processed = model.data_preprocessor(data, False)
        (raw, ) = model.detector.predict(processed['inputs'], processed['data_samples'])
        raw = raw.pred_instances
        assert len(raw) > 0
        # random weights find no person here: re-score the class of the best detection
        chosen = int(raw.labels[0])
        model.classes = (CocoDataset.METAINFO['classes'][chosen], )
        (pred, ) = model.test_step(data)
    inst = pred.pred_instances
    assert len(inst) == len(raw)
    probs = raw.masks.float() / 255  # the mask head's 8-bit probabilities
    fg = probs > 0.5
    s_p = (probs * fg).flatten(1).sum(1) / fg.flatten(1).sum(1).clamp(min=1e-6)
    rescored = raw.labels == chosen
    assert 0 < int(rescored.sum()) < len(raw)
    expected = torch.where(rescored, torch.sqrt(raw.scores * s_p), raw.scores)
    torch.testing.assert_close(inst.scores, expected)
    torch.testing.assert_close(inst.det_scores, raw.scores)
    assert torch.equal(inst.masks, probs >= 0.5)
