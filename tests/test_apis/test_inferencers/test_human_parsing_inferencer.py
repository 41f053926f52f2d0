"""HumanParsingInferencer on an image, arrays, a list, a folder with a truncated JPEG, a video."""
import glob
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
import torch

from conftest import ROOT, run_tool
from hp_mm.apis import HumanParsingInferencer, inference_parser, list_images

CONFIG = osp.join(ROOT, 'tests/data/fpn_r18_minihumans_tiny.py')


@pytest.fixture(scope='module')
def inferencer():
    torch.manual_seed(0)
    return HumanParsingInferencer(CONFIG, device='cpu')  # random weights, LIP classes


@pytest.fixture(scope='module')
def images(lip_root):
    return list_images(osp.join(lip_root, 'TrainVal_images/val_images'))


def labels(sample):
    return sample.pred_sem_seg.data[0].numpy()


def test_image_array_and_list(inferencer, images):
    path = images[0]
    img = cv2.imread(path)
    out = inferencer(path, return_vis=True)
    # a single image: its prediction directly, the api function's answer on the same pixels
    np.testing.assert_array_equal(out['predictions'], labels(inference_parser(inferencer.model,
                                                                               img)))
    assert out['names'] == [osp.splitext(osp.basename(path))[0]] and out['failures'] == []
    expected_vis = inferencer.visualizer.draw_parsing(img[..., ::-1], inference_parser(
        inferencer.model, img).pred_sem_seg)
    np.testing.assert_array_equal(out['visualization'], expected_vis)
    np.testing.assert_array_equal(inferencer(img)['predictions'], out['predictions'])
    # a list of files and arrays, batched: one prediction each, in order
    batch = inferencer([images[0], cv2.imread(images[1]), images[2]], batch_size=2,
                       return_datasamples=True)
    assert batch['names'][1] == '00000001' and len(batch['predictions']) == 3
    for pred, p in zip(batch['predictions'], images[:3]):
        np.testing.assert_array_equal(labels(pred), labels(inference_parser(
            inferencer.model, cv2.imread(p))))
    assert batch['predictions'][0].img_path == images[0]


def test_folder_with_a_truncated_jpeg(inferencer, images, tmp_path):
    folder = tmp_path / 'photos'
    folder.mkdir()
    for p in images[:3]:
        shutil.copy(p, folder)
    data = open(images[3], 'rb').read()
    (folder / 'cut.jpg').write_bytes(data[:len(data) // 2])  # a download cut in half
    out_dir = str(tmp_path / 'out')
    out = inferencer(str(folder), out_dir=out_dir)
    stems = sorted(osp.splitext(osp.basename(p))[0] for p in images[:3])
    assert sorted(out['names']) == stems and len(out['predictions']) == 3
    (failure, ) = out['failures']
    assert failure['input'].endswith('cut.jpg') and 'truncated JPEG' in failure['error']
    for stem in stems:
        label = cv2.imread(osp.join(out_dir, f'{stem}.png'), cv2.IMREAD_UNCHANGED)
        overlay = cv2.imread(osp.join(out_dir, f'{stem}_overlay.jpg'))
        assert overlay.shape == (label.shape[0], 2 * label.shape[1], 3)
    assert not glob.glob(osp.join(out_dir, 'cut*'))
    # the tool: the others written, the failed file named, exit status 1
    ckpt = str(tmp_path / 'model.pth')
    meta = {k: inferencer.model.dataset_meta[k] for k in ('classes', 'palette')}
    torch.save(dict(state_dict=inferencer.model.state_dict(), meta=dict(dataset_meta=meta)), ckpt)
    tool_dir = str(tmp_path / 'tool')
    with pytest.raises(AssertionError) as err:
        run_tool(['tools/infer.py', CONFIG, ckpt, str(folder), '--out-dir', tool_dir])
    assert 'failed (1)' in str(err.value) and 'cut.jpg: OSError' in str(err.value)
    assert len(glob.glob(osp.join(tool_dir, '*_overlay.jpg'))) == 3


def test_video(inferencer, images, tmp_path):
    img = cv2.imread(images[0])
    h, w = img.shape[:2]
    video = str(tmp_path / 'walk.mp4')
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'mp4v'), 5, (w, h))
    for i in range(10):
        writer.write(np.roll(img, 2 * i, axis=1))
    writer.release()
    out_dir = str(tmp_path / 'out')
    out = inferencer(video, out_dir=out_dir, batch_size=4)
    assert out['video']['frames'] == 10 and out['video']['out_file'] == osp.join(
        out_dir, 'walk_vis.mp4')
    cap = cv2.VideoCapture(out['video']['out_file'])
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    assert len(frames) == 10 and frames[0].shape == (h, w, 3)
    assert len(glob.glob(osp.join(out_dir, 'walk_0000*.png'))) == 10
    assert not glob.glob(osp.join(out_dir, '*_overlay.jpg'))  # the drawings are in the video
    # each frame's prediction is the prediction of the decoded frame
    cap = cv2.VideoCapture(video)
    decoded = [cap.read()[1] for _ in range(10)]
    for i in (0, 9):
        np.testing.assert_array_equal(out['predictions'][i],
                                      labels(inference_parser(inferencer.model, decoded[i])))
        assert out['names'][i] == f'walk_{i:06d}'
