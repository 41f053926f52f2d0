"""tools/dataset_converters/labelme2parsing.py: shapes filled in file order (later on top), images
copied or decoded from imageData, unknown labels and broken files listed, exit status 1."""
import base64
import json
import os
import os.path as osp

import cv2
import numpy as np

from test_check_dataset import run_script

CLASSES = 'background\nhair\nl_sleeve <-> r_sleeve\nr_sleeve\nleft-arm\nright-arm\n__ignore__\n'


def _shape(label, points, kind='polygon'):
    return dict(label=label, points=points, group_id=None, shape_type=kind, flags={})


def _labelme(path, shapes, image_path=None, image_data=None, h=10, w=20):
    with open(path, 'w') as f:
        json.dump(dict(version='5.2.1', flags={}, shapes=shapes, imagePath=image_path,
                       imageData=image_data, imageHeight=h, imageWidth=w), f)


def run(in_dir, out_dir, classes):
    return run_script('tools/dataset_converters/labelme2parsing.py', in_dir, out_dir,
                      '--classes', classes)


def test_conversion(tmp_path):
    src = tmp_path / 'labelme'
    (src / 'sub').mkdir(parents=True)
    classes = str(tmp_path / 'labels.txt')
    with open(classes, 'w') as f:
        f.write(CLASSES)
    img = np.random.default_rng(0).integers(0, 255, (10, 20, 3), dtype=np.uint8)
    cv2.imwrite(str(src / 'a.jpg'), img)
    _labelme(src / 'a.json', [
        _shape('hair', [[2, 1], [7, 1], [7, 4], [2, 4]]),  # x 2..7, y 1..4
        _shape('l_sleeve', [[5, 3], [9, 6]], 'rectangle'),  # x 5..9, y 3..6, on top of hair
        _shape('__ignore__', [[0, 8], [3, 8], [3, 9], [0, 9]]),
        _shape('right-arm', [[15, 5], [17, 5]], 'circle'),  # radius 2 around (15, 5)
    ], image_path='a.jpg')
    # b: no image file, the PNG embedded; a polygon given counter-clockwise, fractional
    ok, png = cv2.imencode('.png', img[:6, :8])
    _labelme(src / 'sub' / 'b.json', [_shape('left-arm', [[1.2, 0.8], [1, 4], [5, 4], [5, 1]])],
             image_path='missing/b.png', image_data=base64.b64encode(png.tobytes()).decode(),
             h=6, w=8)
    # bad files: an unknown label, a line (no area), a size that does not match, not JSON
    cv2.imwrite(str(src / 'c.jpg'), img)
    _labelme(src / 'c.json', [_shape('hair', [[0, 0], [3, 0], [3, 3]]),
                              _shape('hat', [[0, 0], [3, 0], [3, 3]])], image_path='c.jpg')
    _labelme(src / 'd.json', [_shape('hair', [[0, 0], [3, 3]], 'line')], image_path='a.jpg')
    _labelme(src / 'e.json', [], image_path='a.jpg', h=11)
    (src / 'f.json').write_text('{"shapes": [')
    out = str(tmp_path / 'out')
    proc = run(str(src), out, classes)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    err = proc.stderr
    assert '4 of 6 files were not converted' in err
    assert "c.json: shape 1 has label 'hat', which is not in " in err
    assert "d.json: shape 0 ('hair'): shape_type 'line' has no area" in err
    assert 'e.json: imageHeight x imageWidth 11 x 20 but the image' in err
    assert 'f.json: not a LabelMe JSON file' in err
    assert sorted(os.listdir(osp.join(out, 'masks'))) == ['a.png', 'b.png']

    expected = np.zeros((10, 20), np.uint8)
    expected[1:5, 2:8] = 1
    expected[3:7, 5:10] = 2
    expected[8:10, 0:4] = 255
    mask = cv2.imread(osp.join(out, 'masks', 'a.png'), cv2.IMREAD_UNCHANGED)
    circle = mask == 5
    mask[circle] = 0
    assert (mask == expected).all()
    ys, xs = np.nonzero(circle)
    dist = np.hypot(xs - 15, ys - 5)
    assert circle[5, 15] and dist.max() <= 2.5 and circle.sum() >= 9  # a disc of radius 2
    # the image file is copied byte for byte
    assert open(osp.join(out, 'images', 'a.jpg'), 'rb').read() == open(src / 'a.jpg', 'rb').read()

    b = cv2.imread(osp.join(out, 'masks', 'b.png'), cv2.IMREAD_UNCHANGED)
    expected_b = np.zeros((6, 8), np.uint8)
    expected_b[1:5, 1:6] = 4
    assert (b == expected_b).all()
    # the embedded PNG is re-encoded as the requested .jpg
    assert cv2.imread(osp.join(out, 'images', 'b.jpg')).shape == (6, 8, 3)

    written = open(osp.join(out, 'classes.txt')).read().splitlines()
    assert written == ['background', 'hair', 'l_sleeve <-> r_sleeve', 'r_sleeve',
                       'left-arm <-> right-arm', 'right-arm', '__ignore__']


def test_all_good_exits_zero(tmp_path):
    src = tmp_path / 'labelme'
    src.mkdir()
    classes = str(tmp_path / 'labels.txt')
    with open(classes, 'w') as f:
        f.write('background\nhair\n')
    cv2.imwrite(str(src / 'a.png'), np.zeros((10, 20, 3), np.uint8))
    _labelme(src / 'a.json', [_shape('hair', [[2, 1], [7, 1], [7, 4]])], image_path='a.png')
    proc = run(str(src), str(tmp_path / 'out'), classes)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'wrote 1 image/mask pairs' in proc.stdout
    mask = cv2.imread(str(tmp_path / 'out' / 'masks' / 'a.png'), cv2.IMREAD_UNCHANGED)
    assert mask[1, 2] == 1 and mask[4, 7] == 1 and mask[4, 2] == 0 and mask[0].sum() == 0
