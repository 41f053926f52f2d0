"""Rank-list drawing: layout and frame colours."""
import numpy as np
import pytest

from hp_mm.visualization.reid_rank_list import (CORRECT_COLOUR, QUERY_COLOUR, WRONG_COLOUR,
                                                draw_rank_list, draw_rank_lists,
                                                stack_rank_lists)


def test_draw_rank_list_frames():
    q = np.full((20, 10, 3), 50, np.uint8)
    gal = [np.full((40, 20, 3), v, np.uint8) for v in (10, 20, 30)]
    row = draw_rank_list(q, gal, [True, False, True], size=(16, 8), border=2, gap=5)
    tile_w = 8 + 2 * 2
    assert row.shape == (16 + 4, 4 * tile_w + 5 + 2 * 2, 3)
    assert tuple(row[0, 0]) == QUERY_COLOUR
    starts = [tile_w + 5 + i * (tile_w + 2) for i in range(3)]
    assert [tuple(row[0, s]) for s in starts] == [CORRECT_COLOUR, WRONG_COLOUR, CORRECT_COLOUR]
    assert tuple(row[10, starts[1] + 4]) == (20, 20, 20)  # the image inside the frame
    with pytest.raises(ValueError, match='correct flags'):
        draw_rank_list(q, gal, [True])


def test_draw_rank_lists_from_dump_skips_removed_entries():
    imgs = {f'{i}.jpg': np.full((8, 4, 3), i, np.uint8) for i in range(5)}
    ranks = dict(query_paths=['0.jpg'], gallery_paths=['1.jpg', '2.jpg', '3.jpg', '4.jpg'],
                 q_pids=np.array([7]), g_pids=np.array([7, 1, 7, 2]),
                 rank_indices=np.array([[1, 2, 0, 3]]),
                 rank_distances=np.array([[0.1, 0.2, 0.3, np.inf]]))
    out = draw_rank_lists(ranks, [0], topk=10, size=(8, 4), read=imgs.__getitem__)
    tile_w = 4 + 8
    assert out.shape[1] == 4 * tile_w + 8 + 2 * 2  # query + 3 finite entries
    starts = [tile_w + 8 + i * (tile_w + 2) for i in range(3)]
    assert [tuple(out[0, s]) for s in starts] == [WRONG_COLOUR, CORRECT_COLOUR, CORRECT_COLOUR]


def test_stack_rank_lists_pads_white():
    rows = [np.zeros((3, 5, 3), np.uint8), np.full((2, 2, 3), 7, np.uint8)]
    out = stack_rank_lists(rows, gap=1)
    assert out.shape == (3 + 1 + 2 + 1, 5, 3)
    assert (out[:3] == 0).all() and (out[3] == 255).all()  # the gap under the first row
    assert (out[4:6, :2] == 7).all() and (out[4:6, 2:] == 255).all()  # padded on the right
    with pytest.raises(ValueError, match='no rows'):
        stack_rank_lists([])
