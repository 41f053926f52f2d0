"""Expected predictions of the Inferencer tests: the model's own ``test_step`` on batches built
by hand (mmcv resizing, a tensor, a data sample), without the Inferencers' pipeline code; and
the small MiniHumans sets the tests run on."""
import mmcv
import numpy as np
import torch
from mmengine.structures import InstanceData
from mmseg.structures import SegDataSample


@torch.no_grad()
def _test_step(model, images, samples):
    return model.test_step(dict(inputs=[torch.from_numpy(np.ascontiguousarray(
        img.transpose(2, 0, 1))) for img in images], data_samples=samples))


def parser_prediction(model, img, scale=(64, 64)):
    """A parser's prediction of a BGR image: ``Resize(scale, keep_ratio=True)``, one sample."""
    resized = mmcv.imrescale(img, scale, interpolation='bilinear', backend='cv2')
    sample = SegDataSample(metainfo=dict(ori_shape=img.shape[:2], img_shape=resized.shape[:2]))
    return _test_step(model, [resized], [sample])[0]


def top_down_prediction(model, img, boxes, scores=None):
    """A top-down parser's prediction of a whole BGR image and its person boxes (N, 4)."""
    boxes = torch.as_tensor(np.asarray(boxes, np.float32)).reshape(-1, 4)
    scores = torch.ones(len(boxes)) if scores is None else torch.as_tensor(scores).float()
    sample = SegDataSample(metainfo=dict(ori_shape=img.shape[:2], img_shape=img.shape[:2]))
    sample.person_boxes = InstanceData(bboxes=boxes, scores=scores)
    return _test_step(model, [img], [sample])[0]


def reid_prediction(model, img, size=(64, 128)):
    """A re-ID model's prediction of a BGR crop resized to ``size`` (w, h)."""
    resized = mmcv.imresize(img, size, interpolation='bilinear', backend='cv2')
    sample = SegDataSample(metainfo=dict(ori_shape=img.shape[:2], img_shape=resized.shape[:2]))
    return _test_step(model, [resized], [sample])[0]


def minihumans(kind, root, **kwargs):
    """Write a small MiniHumans set of format ``kind`` under ``root`` (one worker, quiet)."""
    from hp_mm.minihumans import generate_dataset
    generate_dataset(kind, str(root), workers=1, progress=False, **kwargs)
    return str(root)
