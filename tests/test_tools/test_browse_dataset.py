"""tools/analysis_tools/browse_dataset.py draws the training pipeline's output (after the
augmentation) with ParsingLocalVisualizer: a parsing set (pixel-exact check against the pipeline
output), QANet person crops and re-ID crops."""
import glob
import os.path as osp

import cv2
import numpy as np
from mmengine.config import Config
from mmengine.registry import init_default_scope

from conftest import ROOT, run_tool
from hp_mm.datasets import LIPDataset
from hp_mm.registry import DATASETS

FLIP_PIPELINE = [
    dict(type='LoadParsingImageFromFile'),
    dict(type='LoadParsingAnnotations'),
    dict(type='Resize', scale=(320, 320), keep_ratio=True),
    dict(type='ParsingRandomFlip', prob=1.0),
    dict(type='PackSegInputs', meta_keys=('img_path', 'seg_map_path', 'flip', 'flip_pairs')),
]


def browse(tmp_path, base, dataset_options, num):
    """Run the tool on ``base`` with the train dataset's options replaced; return the drawings
    and the same dataset built here."""
    config = tmp_path / 'browse.py'
    config.write_text(f"_base_ = ['{ROOT}/{base}']\n"
                      f'train_dataloader = dict(dataset=dict({dataset_options}))\n')
    out = str(tmp_path / 'vis')
    run_tool(['tools/analysis_tools/browse_dataset.py', str(config), '--output-dir', out,
              '--not-show', '--max-samples', str(num)])
    drawn = sorted(glob.glob(osp.join(out, '*.png')))
    assert len(drawn) == num
    init_default_scope('hp_mm')
    return drawn, DATASETS.build(Config.fromfile(str(config)).train_dataloader.dataset)


def test_parsing_drawing_is_the_augmented_sample(lip_root, tmp_path):
    drawn, dataset = browse(tmp_path, 'tests/data/fpn_r18_minihumans_tiny.py',
                            f'data_root={lip_root!r}, pipeline={FLIP_PIPELINE!r}', 3)
    palette = np.asarray(LIPDataset.METAINFO['palette'], np.float64)
    swapped = 0
    for i, path in enumerate(drawn):
        item = dataset[i]
        assert osp.basename(path) == f'{i:05d}_' + \
            osp.basename(item['data_samples'].img_path).replace('.jpg', '.png')
        image = item['inputs'].permute(1, 2, 0).numpy()[..., ::-1].astype(np.float64)  # RGB
        gt = item['data_samples'].gt_sem_seg.data[0].numpy()
        vis = cv2.imread(path)[..., ::-1].astype(np.float64)
        assert vis.shape == image.shape
        # the legend sits in the top-right corner: compare the left half
        w = gt.shape[1] // 2
        expected = np.where((gt > 0)[..., None], 0.4 * image + 0.6 * palette[gt], image)
        assert np.abs(vis[:, :w] - expected[:, :w]).max() <= 3
        # flipped with LIP's pairs: raw left-arm pixels became right-arm pixels
        raw = cv2.imread(item['data_samples'].seg_map_path, cv2.IMREAD_UNCHANGED)
        raw = cv2.resize(raw, gt.shape[::-1], interpolation=cv2.INTER_NEAREST)[:, ::-1]
        swapped += int(((raw == 14) & (gt == 15)).sum())
    assert swapped > 0


def test_instance_and_reid_crops(tmp_path):
    from hp_mm.minihumans import generate_dataset
    cihp = str(tmp_path / 'CIHP')
    generate_dataset('cihp', cihp, num_train=2, num_val=1, seed=2, workers=1, max_size=96,
                     progress=False)
    out = str(tmp_path / 'qanet')
    run_tool(['tools/analysis_tools/browse_dataset.py', 'configs/qanet/qanet_r18_minihumans.py',
              '--output-dir', out, '--not-show', '--max-samples', '2', '--cfg-options',
              f'train_dataloader.dataset.data_root={cihp}/instance-level_human_parsing'])
    crops = sorted(glob.glob(osp.join(out, '*.png')))
    assert len(crops) == 2
    assert all(cv2.imread(p).shape == (128, 96, 3) for p in crops)  # input_size (96, 128)



def test_reid_crop_with_part_mask_and_identity(tmp_path):
    from hp_mm.minihumans import generate_dataset
    market = str(tmp_path / 'market')
    generate_dataset('market1501', market, num_train=3, num_val=2, seed=1, workers=1,
                     progress=False)
    root = osp.join(market, 'Market-1501-v15.09.15')
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadReIDPartMask'),
                dict(type='ReIDResize', scale=(64, 128)), dict(type='PackReIDInputs')]
    crops, dataset = browse(tmp_path, 'configs/isp/baseline_r18_minihumans.py',
                            f"data_root={root!r}, part_mask_prefix='hp_mm_part_masks', "
                            f'pipeline={pipeline!r}', 2)
    palette = np.asarray(LIPDataset.METAINFO['palette'], np.float64)  # part masks are LIP's
    for i, path in enumerate(crops):
        item = dataset[i]
        image = item['inputs'].permute(1, 2, 0).numpy()[..., ::-1].astype(np.float64)
        parts = item['data_samples'].gt_part_seg.data[0].numpy()
        vis = cv2.imread(path)[..., ::-1].astype(np.float64)
        assert vis.shape == (128, 64, 3) and (parts > 0).any()
        expected = np.where((parts > 0)[..., None], 0.4 * image + 0.6 * palette[parts], image)
        # the bottom quarter is clear of the caption (top left) and the legend (top right)
        assert np.abs(vis[96:] - expected[96:]).max() <= 3
        # the caption 'pid P camid C' (white on a dark box) changes the top-left corner
        assert np.abs(vis[:8, :30] - expected[:8, :30]).mean() > 20
