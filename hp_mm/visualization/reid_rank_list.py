"""Re-ID rank lists: a query and its nearest gallery images, framed green (same
identity) or red (another identity), the picture re-ID users look at first."""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

#: Frame colours, BGR.
QUERY_COLOUR = (160, 160, 160)
CORRECT_COLOUR = (0, 170, 0)
WRONG_COLOUR = (0, 0, 220)


def _tile(img: np.ndarray, size: Tuple[int, int], colour, border: int,
          caption: Optional[str]) -> np.ndarray:
    h, w = size
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
    tile = cv2.copyMakeBorder(img, border, border, border, border, cv2.BORDER_CONSTANT,
                              value=colour)
    if caption:
        band = np.full((14, tile.shape[1], 3), 255, np.uint8)
        cv2.putText(band, caption, (2, 11), cv2.FONT_HERSHEY_SIMPLEX, 0.33, (0, 0, 0), 1,
                    cv2.LINE_AA)
        tile = np.concatenate([tile, band], axis=0)
    return tile


def draw_rank_list(query_img: np.ndarray, gallery_imgs: Sequence[np.ndarray],
                   correct: Sequence[bool], size: Tuple[int, int] = (128, 64),
                   border: int = 4, gap: int = 8, query_caption: Optional[str] = None,
                   gallery_captions: Optional[Sequence[str]] = None) -> np.ndarray:
    """Draw one row: the query (grey frame), a gap, then the ranked gallery images,
    each in a green (``correct``) or red frame.

    Args:
        query_img (np.ndarray): Query image (H, W, 3) BGR uint8 (or (H, W)).
        gallery_imgs (Sequence[np.ndarray]): Ranked gallery images, best first.
        correct (Sequence[bool]): Same identity as the query, per gallery image.
        size (tuple[int, int]): Tile size (h, w) before the frame.
        border (int): Frame width in pixels.
        gap (int): White space between the query and the gallery.
        query_caption (str, optional): Text under the query (e.g. its pid).
        gallery_captions (Sequence[str], optional): Text under each gallery image.

    Returns:
        np.ndarray: The row, shape (size[0] + 2 * border [+ 14], W) BGR uint8, with
        ``W = (1 + n) * (size[1] + 2 * border) + gap + (n - 1) * 2``.
    """
    if len(gallery_imgs) != len(correct):
        raise ValueError(f'draw_rank_list: {len(gallery_imgs)} gallery images but '
                         f'{len(correct)} correct flags')
    captioned = query_caption is not None or gallery_captions is not None
    caps = list(gallery_captions) if gallery_captions is not None else [''] * len(gallery_imgs)
    tiles = [_tile(query_img, size, QUERY_COLOUR, border,
                   (query_caption or ' ') if captioned else None)]
    for img, ok, cap in zip(gallery_imgs, correct, caps):
        tiles.append(_tile(img, size, CORRECT_COLOUR if ok else WRONG_COLOUR, border,
                           (cap or ' ') if captioned else None))
    h = tiles[0].shape[0]
    parts = [tiles[0], np.full((h, gap, 3), 255, np.uint8)]
    for i, t in enumerate(tiles[1:]):
        if i:
            parts.append(np.full((h, 2, 3), 255, np.uint8))
        parts.append(t)
    return np.concatenate(parts, axis=1)


def draw_rank_lists(ranks: dict, query_indices: Sequence[int], topk: int = 10,
                    size: Tuple[int, int] = (128, 64), read=None) -> np.ndarray:
    """Stack the rank lists of several queries from a ``ReIDMetric(out_file=...)``
    dump (same-pid same-camera images already left out).

    Args:
        ranks (dict): The dump: ``query_paths``, ``gallery_paths``, ``q_pids``,
            ``g_pids``, ``rank_indices`` (Nq, k), ``rank_distances`` (Nq, k).
        query_indices (Sequence[int]): Queries to draw, one row each.
        topk (int): Gallery images per row (10).
        size (tuple[int, int]): Tile size (h, w).
        read (callable, optional): Image reader ``path -> BGR array``
            (default ``cv2.imread``).

    Returns:
        np.ndarray: The rows stacked vertically, BGR uint8.
    """
    read = read or (lambda p: cv2.imread(p, cv2.IMREAD_COLOR))

    def load(path):
        img = read(path)
        if img is None:
            raise OSError(f'draw_rank_lists: cannot read {path!r}')
        return img

    rows = []
    for q in query_indices:
        idx = [int(i) for i, d in zip(ranks['rank_indices'][q][:topk],
                                      ranks['rank_distances'][q][:topk]) if np.isfinite(d)]
        q_pid = int(ranks['q_pids'][q])
        rows.append(draw_rank_list(
            load(ranks['query_paths'][q]), [load(ranks['gallery_paths'][i]) for i in idx],
            [int(ranks['g_pids'][i]) == q_pid for i in idx], size=size,
            query_caption=f'q {q_pid}',
            gallery_captions=[f'{int(ranks["g_pids"][i])}' for i in idx]))
    return stack_rank_lists(rows)


def stack_rank_lists(rows: Sequence[np.ndarray], gap: int = 6) -> np.ndarray:
    """Stack rank-list rows (:func:`draw_rank_list`) into one picture.

    Each row gets ``gap`` white pixel rows below it and is padded white on
    the right to the widest row.

    Args:
        rows (Sequence[np.ndarray]): (h_i, w_i, 3) uint8 rows.
        gap (int): White rows under each row.

    Returns:
        np.ndarray: (sum(h_i + gap), max(w_i), 3) uint8.
    """
    if not rows:
        raise ValueError('stack_rank_lists: no rows to stack')
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, gap), (0, width - r.shape[1]), (0, 0)), constant_values=255)
            for r in rows]
    return np.concatenate(rows, axis=0)
