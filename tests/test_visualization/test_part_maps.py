"""Classes and colours of re-ID part maps, drawn by ParsingLocalVisualizer."""
import numpy as np

from hp_mm.visualization import PART_PALETTE, ParsingLocalVisualizer, part_map_meta


def test_part_map_meta():
    meta = part_map_meta(4)
    assert meta['classes'] == ['background', 'part 1', 'part 2', 'part 3']
    assert meta['palette'] == list(PART_PALETTE[:4]) and meta['palette'][0] == (0, 0, 0)
    many = part_map_meta(len(PART_PALETTE) + 3)  # more parts than fixed colours
    assert len(many['palette']) == len(PART_PALETTE) + 3
    assert many['palette'][:len(PART_PALETTE)] == list(PART_PALETTE)
    assert part_map_meta(len(PART_PALETTE) + 3) == many  # a fixed sequence


def test_part_map_drawn_over_the_image():
    meta = part_map_meta(3)
    vis = ParsingLocalVisualizer(name='vis_part_maps', alpha=0.5, **meta)
    image = np.full((6, 4, 3), 100, np.uint8)
    parts = np.zeros((6, 4), np.int64)
    parts[:2] = 1
    parts[2:4, :2] = 2
    out = vis.draw_parsing(image, parts, None, with_legend=False)
    np.testing.assert_allclose(out[0, 0], 0.5 * np.array(PART_PALETTE[1]) + 50, atol=1)
    np.testing.assert_allclose(out[2, 0], 0.5 * np.array(PART_PALETTE[2]) + 50, atol=1)
    assert (out[5] == 100).all() and (out[2, 3] == 100).all()  # background: the image
