"""tools/analysis_tools/check_dataset.py on a generated set with one sample per kind of defect
(index masks for training, CVAT colour masks for validation), and on a clean set."""
import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np

from conftest import ROOT

# 4 x 6 labels of 0 background, 1 l_sleeve, 2 r_sleeve, 3 hair: 13 / 3 / 4 / 4 pixels
LABELS = np.array([[0, 3, 3, 3, 0, 0],
                   [1, 1, 0, 2, 2, 0],
                   [1, 0, 0, 0, 2, 2],
                   [0, 0, 3, 0, 0, 0]], np.uint8)
PALETTE = np.array([(0, 0, 0), (0, 255, 0), (0, 0, 255), (255, 0, 0)], np.uint8)
IMG = np.random.default_rng(0).integers(0, 255, (4, 6, 3), dtype=np.uint8)


def _write(path, array=None, data=None):
    os.makedirs(osp.dirname(path), exist_ok=True)
    if data is None:
        ok, buf = cv2.imencode(osp.splitext(path)[1], array)
        assert ok
        data = buf.tobytes()
    with open(path, 'wb') as f:
        f.write(data)
    return data


def index_set(root, defects=True):
    """Two good samples, then one sample per defect."""
    with open(osp.join(_mkdir(root), 'classes.txt'), 'w') as f:
        f.write('background\nl_sleeve <-> r_sleeve\nr_sleeve\nhair\n')
    listed = ['good1', 'good2']
    for stem in listed:
        _write(osp.join(root, 'images', stem + '.jpg'), IMG)
        _write(osp.join(root, 'masks', stem + '.png'), LABELS)
    if defects:
        jpg = _write(osp.join(root, 'images', 'trunc_img.jpg'), np.tile(IMG, (20, 20, 1)))
        _write(osp.join(root, 'images', 'trunc_img.jpg'), data=jpg[:len(jpg) // 2])
        _write(osp.join(root, 'masks', 'trunc_img.png'), np.tile(LABELS, (20, 20)))
        _write(osp.join(root, 'images', 'bad_img.jpg'), data=b'not an image at all')
        _write(osp.join(root, 'masks', 'bad_img.png'), LABELS)
        _write(osp.join(root, 'images', 'size.jpg'), IMG)
        _write(osp.join(root, 'masks', 'size.png'), np.vstack([LABELS, LABELS[:1]]))
        values = LABELS.copy()
        values[0, 0], values[3, 5] = 7, 255  # 7 is no class; 255 is ignore (fine)
        _write(osp.join(root, 'images', 'values.jpg'), IMG)
        _write(osp.join(root, 'masks', 'values.png'), values)
        empty = np.zeros_like(LABELS)
        empty[0] = 255
        _write(osp.join(root, 'images', 'empty.jpg'), IMG)
        _write(osp.join(root, 'masks', 'empty.png'), empty)
        _write(osp.join(root, 'images', 'nomask.jpg'), IMG)
        _write(osp.join(root, 'masks', 'noimg.png'), LABELS)  # listed, image missing
        _write(osp.join(root, 'masks', 'orphan.png'), LABELS)  # not listed, no image
        png = _write(osp.join(root, 'images', 'trunc_mask.jpg'), IMG)
        png = _write(osp.join(root, 'masks', 'trunc_mask.png'),
                     np.random.default_rng(1).integers(0, 4, (64, 64), dtype=np.uint8))
        _write(osp.join(root, 'masks', 'trunc_mask.png'), data=png[:len(png) // 2])
        listed += ['trunc_img', 'bad_img', 'size', 'values', 'empty', 'nomask', 'noimg',
                   'trunc_mask']
    with open(osp.join(root, 'train.txt'), 'w') as f:
        f.write('\n'.join(listed) + '\n')
    return root


def cvat_set(root):
    """CVAT layout: one good colour mask, one with two pixels of an unknown colour."""
    with open(osp.join(_mkdir(root), 'labelmap.txt'), 'w') as f:
        f.write('background:0,0,0::\nl_sleeve:0,255,0::\nr_sleeve:0,0,255::\nhair:255,0,0::\n')
    for stem in ('frame_0', 'frame_1'):
        rgb = PALETTE[LABELS]
        if stem == 'frame_1':
            rgb[1, :2] = (9, 9, 9)
        _write(osp.join(root, 'JPEGImages', stem + '.jpg'), IMG)
        _write(osp.join(root, 'SegmentationClass', stem + '.png'), rgb[..., ::-1])
    _write(osp.join(root, 'ImageSets', 'Segmentation', 'default.txt'), data=b'frame_0\nframe_1\n')
    return root


def _mkdir(path):
    os.makedirs(path, exist_ok=True)
    return path


def user_config(path, train_root, val_root=None):
    """A user's config on the template (docs/custom_data.md), with 4 classes."""
    val = (f"dict(data_root={val_root!r}, classes_file='labelmap.txt', "
           "ann_file='ImageSets/Segmentation/default.txt', "
           "data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'), "
           "num_classes=num_classes)") if val_root else \
        f"dict(data_root={train_root!r}, ann_file='train.txt', num_classes=num_classes)"
    with open(path, 'w') as f:
        f.write(f"_base_ = ['{ROOT}/configs/lip/fpn_lite0_custom-data.py']\n"
                "num_classes = 4\n"
                "model = dict(decode_head=dict(num_classes=num_classes))\n"
                f"train_dataloader = dict(dataset=dict(data_root={train_root!r}, "
                "num_classes=num_classes))\n"
                f"val_dataloader = dict(dataset={val})\n"
                "test_dataloader = val_dataloader\n")
    return str(path)


def run_script(script, *args):
    """Run a tools/ script; return the CompletedProcess whatever its exit status."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, script, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def run_check(config, *extra):
    return run_script('tools/analysis_tools/check_dataset.py', config, *extra)


def test_every_kind_of_defect_is_reported(tmp_path):
    train = index_set(str(tmp_path / 'mine'))
    val = cvat_set(str(tmp_path / 'cvat'))
    report = str(tmp_path / 'report.json')
    proc = run_check(user_config(tmp_path / 'cfg.py', train, val), '--out', report)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    found = {(p['kind'], osp.basename(p['file'])) for p in json.load(open(report))['problems']}
    assert found == {
        ('truncated_image', 'trunc_img.jpg'),
        ('unreadable_image', 'bad_img.jpg'),
        ('size_mismatch', 'size.png'),
        ('outside_classes', 'values.png'),
        ('empty_mask', 'empty.png'),
        ('missing_pair', 'nomask.jpg'),  # image without mask
        ('missing_pair', 'noimg.jpg'),  # listed, image missing
        ('missing_pair', 'orphan.png'),  # mask without image
        ('truncated_mask', 'trunc_mask.png'),
        ('outside_classes', 'frame_1.png'),  # colour not in labelmap.txt
    }
    out = proc.stdout
    assert 'checking 12 samples of 2 dataset(s) with 2 worker(s)' in out
    assert 'values [7] not in 0..3 nor 255' in out
    assert '(9, 9, 9) x 2 px' in out
    assert 'mask 6x5 (WxH), image 6x4' in out
    assert '10 problem(s) in 12 samples' in out


def test_clean_set_passes_with_class_frequencies(tmp_path):
    train = index_set(str(tmp_path / 'mine'), defects=False)
    proc = run_check(user_config(tmp_path / 'cfg.py', train))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert 'all 2 samples are fine' in out
    # the two masks: 26 / 6 / 8 / 8 pixels of 48; hair and both sleeves in both images
    for name, share in (('background', '54.17 %'), ('l_sleeve', '12.50 %'),
                        ('r_sleeve', '16.67 %'), ('hair', '16.67 %')):
        line = next(ln for ln in out.splitlines() if ln.strip().startswith(name + ' '))
        assert share in line and '2/2' in line, line
