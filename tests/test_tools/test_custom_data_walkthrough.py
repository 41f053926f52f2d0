"""docs/custom_data.md, step by step, on a small generated folder: (a) index masks, (b) a CVAT
export, (c) LabelMe polygons -> check_dataset -> browse_dataset -> train (a few iterations) ->
predictions on new photos with tools/infer.py.

The photos and labels come from MiniHumans (LIP layout), relabelled to a user's 7 classes. The
doc's shell commands and configs are taken from the page itself, with only the paths replaced
(and, for training, a few iterations instead of 10,000)."""
import json
import os
import os.path as osp
import re
import shutil
import subprocess

import cv2
import numpy as np
import pytest
import torch

from conftest import ROOT, run_tool

DOC = open(osp.join(ROOT, 'docs', 'custom_data.md')).read()
CLASSES = ('background', 'hair', 'face', 'upper-clothes', 'left-arm', 'right-arm', 'pants')
# LIP Hat, Hair -> hair; Face; UpperClothes, Dress, Coat, Jumpsuits -> upper-clothes; the arms;
# Pants, Skirt -> pants; the rest -> background
LIP_TO_USER = np.zeros(256, np.uint8)
for lip, user in {1: 1, 2: 1, 13: 2, 5: 3, 6: 3, 7: 3, 10: 3, 14: 4, 15: 5, 9: 6, 12: 6}.items():
    LIP_TO_USER[lip] = user
COLOURS = np.array([(0, 0, 0), (255, 0, 0), (0, 0, 255), (255, 85, 0), (51, 170, 221),
                    (0, 255, 255), (0, 85, 85)], np.uint8)
FAST = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'param_scheduler.0.end=2',
        'default_hooks.checkpoint.interval=2', 'train_dataloader.batch_size=2']
for split in ('train', 'val', 'test'):
    FAST += [f'{split}_dataloader.num_workers=0', f'{split}_dataloader.persistent_workers=False']


def doc_block(lang, contains):
    """The doc's one ``lang`` code block that contains ``contains``."""
    blocks = [b for b in re.findall(rf'```{lang}\n(.*?)```', DOC, re.S) if contains in b]
    assert len(blocks) == 1, (lang, contains, len(blocks))
    return blocks[0]


def substituted(text, paths):
    for old, new in paths.items():
        text = text.replace(old, new)
    return text


def sh(script, cwd=ROOT):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    proc = subprocess.run(['bash', '-euo', 'pipefail', '-c', script], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f'{script}\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}'
    return proc.stdout


def labelme_shapes(mask):
    """Polygons of every region of the user's classes, in class order (later on top)."""
    shapes = []
    for c in range(1, len(CLASSES)):
        contours, _ = cv2.findContours((mask == c).astype(np.uint8), cv2.RETR_EXTERNAL,
                                       cv2.CHAIN_APPROX_NONE)
        shapes += [dict(label=CLASSES[c], points=cnt[:, 0].tolist(), shape_type='polygon',
                        group_id=None, flags={}) for cnt in contours if len(cnt) >= 3]
    return shapes


@pytest.fixture(scope='module')
def user_data(tmp_path_factory):
    """The user's three folders (a), (b), (c) and new photos, from MiniHumans."""
    from hp_mm.minihumans import generate_dataset
    base = tmp_path_factory.mktemp('custom_data')
    lip = str(base / 'LIP')
    generate_dataset('lip', lip, num_train=10, num_val=3, seed=7, workers=1, max_size=96,
                     progress=False)
    img_dir = osp.join(lip, 'TrainVal_images', 'train_images')
    seg_dir = osp.join(lip, 'TrainVal_parsing_annotations', 'train_segmentations')
    stems = sorted(f[:-4] for f in os.listdir(img_dir))
    dirs = {k: str(base / k) for k in ('my_parsing', 'my_cvat', 'my_labelme', 'photos')}
    for d in ('my_parsing/images', 'my_parsing/masks', 'my_cvat/JPEGImages',
              'my_cvat/SegmentationClass', 'my_cvat/ImageSets/Segmentation', 'my_labelme'):
        os.makedirs(base / d)
    with open(osp.join(dirs['my_parsing'], 'classes.txt'), 'w') as f:
        f.write('\n'.join(CLASSES) + '\n')
    with open(osp.join(dirs['my_labelme'], 'classes.txt'), 'w') as f:
        f.write('\n'.join(CLASSES) + '\n')
    with open(osp.join(dirs['my_cvat'], 'labelmap.txt'), 'w') as f:
        f.write('# label:color_rgb:parts:actions\n' + ''.join(
            f'{n}:{r},{g},{b}::\n' for n, (r, g, b) in zip(CLASSES, COLOURS.tolist())))
    for stem in stems:
        img = osp.join(img_dir, stem + '.jpg')
        mask = LIP_TO_USER[cv2.imread(osp.join(seg_dir, stem + '.png'), cv2.IMREAD_UNCHANGED)]
        shutil.copy(img, osp.join(dirs['my_parsing'], 'images'))
        cv2.imwrite(osp.join(dirs['my_parsing'], 'masks', stem + '.png'), mask)
        shutil.copy(img, osp.join(dirs['my_cvat'], 'JPEGImages'))
        cv2.imwrite(osp.join(dirs['my_cvat'], 'SegmentationClass', stem + '.png'),
                    COLOURS[mask][..., ::-1])
        shutil.copy(img, dirs['my_labelme'])
        with open(osp.join(dirs['my_labelme'], stem + '.json'), 'w') as f:
            json.dump(dict(version='5.2.1', flags={}, shapes=labelme_shapes(mask),
                           imagePath=stem + '.jpg', imageData=None,
                           imageHeight=mask.shape[0], imageWidth=mask.shape[1]), f)
    with open(osp.join(dirs['my_cvat'], 'ImageSets', 'Segmentation', 'default.txt'), 'w') as f:
        f.write('\n'.join(stems) + '\n')
    shutil.copytree(osp.join(lip, 'TrainVal_images', 'val_images'), dirs['photos'],
                    dirs_exist_ok=True)
    dirs['base'] = str(base)
    return dirs


def test_walkthrough(user_data, tmp_path):
    d = user_data
    # (c) LabelMe -> (a), with the doc's command (into a folder of its own here)
    labelme_out = str(tmp_path / 'from_labelme')
    sh(substituted(doc_block('shell', 'labelme2parsing.py'),
                   {'data/my_labelme': d['my_labelme'], 'data/my_parsing': labelme_out}))
    converted = cv2.imread(osp.join(labelme_out, 'masks', os.listdir(
        osp.join(labelme_out, 'masks'))[0]), cv2.IMREAD_UNCHANGED)
    assert set(np.unique(converted)) <= set(range(len(CLASSES)))
    # the id lists of (a), with the doc's commands; the CVAT list is split the same way
    split = doc_block('shell', 'awk')
    for root, all_list in ((d['my_parsing'], None), (labelme_out, None),
                           (osp.join(d['my_cvat'], 'ImageSets', 'Segmentation'), 'default.txt')):
        script = split.replace('cd data/my_parsing', f'cd {root}')
        if all_list:
            script = script.replace("ls masks | sed 's/\\.png$//' > all.txt",
                                    f'cp {all_list} all.txt')
        sh(script)
    assert len(open(osp.join(d['my_parsing'], 'val.txt')).read().split()) == 1  # 10th of 10

    # the configs of section 5
    cfg_a, cfg_b, cfg_c = (str(tmp_path / f'{k}.py') for k in 'abc')
    for path, block, root in ((cfg_a, doc_block('python', "data_root = 'data/my_parsing'"),
                               d['my_parsing']),
                              (cfg_c, doc_block('python', "data_root = 'data/my_parsing'"),
                               labelme_out),
                              (cfg_b, doc_block('python', 'my_cvat'), d['my_cvat'])):
        with open(path, 'w') as f:
            f.write(substituted(block, {"'../configs/": f"'{ROOT}/configs/",
                                        'data/my_parsing': root, 'data/my_cvat': root}))

    # check every dataset: nothing wrong, and the summary lists the user's classes
    check = doc_block('shell', 'check_dataset.py')
    for cfg in (cfg_a, cfg_b, cfg_c):
        out = sh(substituted(check, {'my_configs/my_parsing.py': cfg}))
        assert 'all 10 samples are fine' in out, out[-2000:]
        assert 'upper-clothes' in out and 'left-arm' in out
    vis = str(tmp_path / 'vis')
    sh(substituted(doc_block('shell', 'browse_dataset.py'),
                   {'my_configs/my_parsing.py': cfg_a, 'vis/': vis + '/'}))
    assert len(os.listdir(vis)) == 9  # --max-samples 20 of the 9 training images

    # train (a) and (b) for two iterations each
    assert 'python tools/train.py my_configs/my_parsing.py' in DOC
    ckpts = {}
    for name, cfg in (('a', cfg_a), ('b', cfg_b)):
        work = str(tmp_path / f'work_{name}')
        run_tool(['tools/train.py', cfg, '--work-dir', work, '--cfg-options'] + FAST, timeout=1200)
        ckpts[name] = osp.join(work, 'iter_2.pth')
        meta = torch.load(ckpts[name], map_location='cpu', weights_only=True)['meta']
        assert tuple(meta['dataset_meta']['classes']) == CLASSES
        assert [tuple(p) for p in meta['dataset_meta']['flip_pairs']] == [(4, 5)]
        log = open(next(osp.join(r, f) for r, _, fs in os.walk(work) for f in fs
                        if f.endswith('.log'))).read()
        assert 'mIoU' in log

    # predictions on new photos, with the doc's command
    preds = str(tmp_path / 'predictions')
    sh(substituted(doc_block('shell', 'tools/infer.py'), {
        'my_configs/my_parsing.py': cfg_a, 'work_dirs/my_parsing/iter_10000.pth': ckpts['a'],
        'photos/': d['photos'] + '/', 'predictions/': preds + '/'}))
    for photo in sorted(os.listdir(d['photos'])):
        stem = osp.splitext(photo)[0]
        labels = cv2.imread(osp.join(preds, stem + '.png'), cv2.IMREAD_UNCHANGED)
        image = cv2.imread(osp.join(d['photos'], photo))
        assert labels is not None and labels.shape == image.shape[:2]
        assert labels.max() < len(CLASSES)
        assert osp.isfile(osp.join(preds, stem + '_overlay.jpg'))
