"""Reading a user's images: folder listing, truncated files, cv2-identical decoding."""
import cv2
import numpy as np
import pytest

from hp_mm.apis.image_io import check_bgr_image, check_image_bytes, list_images, read_image


def _write(path, img):
    assert cv2.imwrite(str(path), img)
    return str(path)


def test_list_images_sorted_recursive_case_insensitive(tmp_path):
    img = np.full((4, 5, 3), 9, np.uint8)
    (tmp_path / 'b').mkdir()
    paths = [_write(tmp_path / 'z.JPG', img), _write(tmp_path / 'a.png', img),
             _write(tmp_path / 'b' / 'c.jpeg', img)]
    (tmp_path / 'notes.txt').write_text('not an image')
    _write(tmp_path / '.hidden.jpg', img)  # hidden files are skipped
    assert list_images(str(tmp_path)) == [paths[1], paths[2], paths[0]]  # a.png, b/c.jpeg, z.JPG
    assert list_images(paths[0]) == [paths[0]]  # a file is itself
    with pytest.raises(FileNotFoundError, match='neither an image file nor a folder'):
        list_images(str(tmp_path / 'missing'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='no images'):
        list_images(str(tmp_path / 'empty'))


def test_read_image_rejects_truncated_files(tmp_path):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (40, 30, 3), dtype=np.uint8)
    path = _write(tmp_path / 'a.jpg', img)
    data = open(path, 'rb').read()
    np.testing.assert_array_equal(read_image(path), cv2.imread(path))  # as LoadImageFromFile
    cut = tmp_path / 'cut.jpg'
    cut.write_bytes(data[:len(data) // 2])
    assert cv2.imread(str(cut)) is not None  # cv2 alone decodes it (half grey): not an error
    with pytest.raises(OSError, match=r'cut.jpg: truncated JPEG'):
        read_image(str(cut))
    ok, png = cv2.imencode('.png', img)
    with pytest.raises(OSError, match='truncated PNG'):
        check_image_bytes(png.tobytes()[:-20], 'x.png')
    check_image_bytes(png.tobytes(), 'x.png')
    check_image_bytes(data + b'\x00' * 7, 'padded.jpg')  # bytes after the end marker are fine
    with pytest.raises(OSError, match='empty file'):
        check_image_bytes(b'', 'e.jpg')
    (tmp_path / 'text.jpg').write_bytes(b'garbage')
    with pytest.raises(OSError, match='text.jpg: cannot decode'):
        read_image(str(tmp_path / 'text.jpg'))
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        read_image(str(tmp_path / 'missing.jpg'))


def test_check_bgr_image():
    img = np.zeros((2, 3, 3), np.uint8)
    assert check_bgr_image(img, 'x') is img
    with pytest.raises(ValueError, match=r'gray: expected a BGR image array \(H, W, 3\), got '
                       r'\(2, 3\)'):
        check_bgr_image(np.zeros((2, 3), np.uint8), 'gray')
    with pytest.raises(ValueError, match='got str'):
        check_bgr_image('a.jpg', 'path')
