"""tools/infer_multi.py end to end: random-weight detector and parser, CIHP layout out."""
import glob
import json
import os.path as osp

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from conftest import ROOT, run_tool
from hp_mm.datasets.multi_human_parsing_datasets import CIHPInstanceDataset
from hp_mm.registry import MODELS

DET_CONFIG = 'configs/qanet/detectors/fcos_r18_fpn_minihumans-cihp.py'
PARSER_CONFIG = 'configs/_base_/models/qanet_r18_fpn.py'


def _checkpoints(tmp_path):
    from mmdet.registry import MODELS as DET_MODELS
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmdet'):
        det = DET_MODELS.build(Config.fromfile(osp.join(ROOT, DET_CONFIG)).model)
    det_ckpt = str(tmp_path / 'det.pth')
    torch.save(dict(state_dict=det.state_dict(),
                    meta=dict(dataset_meta=dict(classes=('person', )))), det_ckpt)
    with DefaultScope.overwrite_default_scope('hp_mm'):
        parser = MODELS.build(Config.fromfile(osp.join(ROOT, PARSER_CONFIG)).model)
    meta = {k: CIHPInstanceDataset.METAINFO[k] for k in ('classes', 'palette', 'flip_pairs')}
    parser_ckpt = str(tmp_path / 'parser.pth')
    torch.save(dict(state_dict=parser.state_dict(), meta=dict(dataset_meta=meta)), parser_ckpt)
    return det_ckpt, parser_ckpt


def test_infer_multi_writes_cihp_layout(tmp_path):
    from hp_mm.minihumans import generate_dataset
    root = str(tmp_path / 'CIHP')
    generate_dataset('cihp', root, num_train=1, num_val=1, seed=7, workers=1, max_size=64,
                     progress=False)
    images = osp.join(root, 'instance-level_human_parsing/Validation/Images')
    det_ckpt, parser_ckpt = _checkpoints(tmp_path)
    out = str(tmp_path / 'out')
    proc = run_tool([
        'tools/infer_multi.py', DET_CONFIG, det_ckpt, PARSER_CONFIG, parser_ckpt, images,
        '--out-dir', out, '--det-score-thr', '0', '--score-thr', '0',
        '--det-cfg-options', 'model.test_cfg.score_thr=0', 'model.test_cfg.max_per_img=2',
        '--parser-cfg-options', 'model.test_cfg.input_size=(24,32)'
    ])
    assert '1 images, 2 persons' in proc.stdout
    (image, ) = glob.glob(osp.join(images, '*.jpg'))
    stem = osp.splitext(osp.basename(image))[0]
    h, w = cv2.imread(image).shape[:2]
    for sub in ('Category_ids', 'Human_ids', 'Instance_ids'):
        png = cv2.imread(osp.join(out, sub, f'{stem}.png'), cv2.IMREAD_UNCHANGED)
        assert png.shape == (h, w) and png.dtype == np.uint8
    assert cv2.imread(osp.join(out, 'vis', f'{stem}.jpg')).shape == (h, 2 * w, 3)
    info = json.load(open(osp.join(out, 'json', f'{stem}.json')))
    assert len(info['persons']) == 2
    assert set(info['persons'][0]['parts']) == set(CIHPInstanceDataset.METAINFO['classes'][1:])
    lines = open(osp.join(out, 'Instance_ids', f'{stem}.txt')).read().split('\n')[:-1]
    assert all(len(line.split()) == 3 for line in lines)


def test_infer_multi_writes_what_the_metric_scores(tmp_path):
    """tools/infer_multi.py's CIHP maps are the maps MultiHumanParsingMetric scores (MiniHumans)."""
    from mmengine.structures import PixelData

    from hp_mm.apis import MultiHumanParsingInferencer
    from hp_mm.evaluation import MultiHumanParsingMetric
    from hp_mm.minihumans import generate_dataset
    root = str(tmp_path / 'CIHP')
    generate_dataset('cihp', root, num_train=1, num_val=1, seed=11, workers=1, max_size=64,
                     progress=False)
    split = osp.join(root, 'instance-level_human_parsing/Validation')
    det_ckpt, parser_ckpt = _checkpoints(tmp_path)
    det_opts = ['model.test_cfg.score_thr=0', 'model.test_cfg.max_per_img=4']
    # a parsing NMS that bites on random weights, so suppressed persons must stay out of the maps
    parser_opts = ['model.test_cfg.input_size=(24,32)', 'model.test_cfg.parsing_nms_thr=0.3']
    out = str(tmp_path / 'out')
    run_tool(['tools/infer_multi.py', DET_CONFIG, det_ckpt, PARSER_CONFIG, parser_ckpt,
              osp.join(split, 'Images'), '--out-dir', out, '--det-score-thr', '0',
              '--score-thr', '0', '--det-cfg-options'] + det_opts + ['--parser-cfg-options'] +
             parser_opts)
    (image, ) = glob.glob(osp.join(split, 'Images', '*.jpg'))
    stem = osp.splitext(osp.basename(image))[0]

    # the same prediction in-process, scored by the metric (which also writes its submission)
    def options(items):
        return {k: eval(v) for k, v in (o.split('=', 1) for o in items)}  # noqa: S307

    inferencer = MultiHumanParsingInferencer(
        osp.join(ROOT, PARSER_CONFIG), parser_ckpt, det_model=osp.join(ROOT, DET_CONFIG),
        det_weights=det_ckpt, device='cpu', cfg_options=options(parser_opts),
        det_cfg_options=options(det_opts))
    result = inferencer(image, det_score_thr=0.0, return_datasamples=True)['predictions']
    assert not result.pred_instances.kept.all()  # NMS suppressed someone
    cat = cv2.imread(osp.join(split, 'Category_ids', f'{stem}.png'), cv2.IMREAD_UNCHANGED)
    human = cv2.imread(osp.join(split, 'Human_ids', f'{stem}.png'), cv2.IMREAD_UNCHANGED)
    result.gt_sem_seg = PixelData(data=torch.as_tensor(cat.astype(np.int64))[None])
    result.set_field(PixelData(data=torch.as_tensor(human.astype(np.int64))[None]),
                     'gt_instance_map')
    metric_dir = str(tmp_path / 'metric')
    metric = MultiHumanParsingMetric(output_dir=metric_dir)
    metric.dataset_meta = dict(classes=CIHPInstanceDataset.METAINFO['classes'])
    metric.process({}, [result.to_dict()])
    for sub in ('Category_ids', 'Human_ids', 'Instance_ids'):
        written = cv2.imread(osp.join(out, sub, f'{stem}.png'), cv2.IMREAD_UNCHANGED)
        scored = cv2.imread(osp.join(metric_dir, sub, f'{stem}.png'), cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(written, scored, err_msg=sub)
    assert open(osp.join(out, 'Instance_ids', f'{stem}.txt')).read() == \
        open(osp.join(metric_dir, 'Instance_ids', f'{stem}.txt')).read()
    # Category_ids is the semantic map the metric's mIoU confusion comes from
    written = cv2.imread(osp.join(out, 'Category_ids', f'{stem}.png'), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(written, result.pred_sem_seg.data[0].numpy())
    record = next(iter(metric.results[0].values()))  # the model's ranking
    gt = np.where(cat < 20, cat, 20).astype(np.int64)
    confusion = np.bincount(gt.ravel() * 20 + written.ravel().astype(np.int64),
                            minlength=21 * 20)[:400].reshape(20, 20)
    np.testing.assert_array_equal(record['confusion'], confusion)
    # the persons drawn in Human_ids are exactly the kept ones of the model's ranking
    human_ids = cv2.imread(osp.join(out, 'Human_ids', f'{stem}.png'), cv2.IMREAD_UNCHANGED)
    drawn = len(np.unique(human_ids[human_ids > 0]))
    assert drawn <= int(result.pred_instances.kept.sum())
