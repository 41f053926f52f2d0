"""Vectorised textures and cluttered backgrounds (numpy + cv2, no pixel loops)."""
import cv2
import numpy as np

from .appearance import random_colour, sample_texture, skin_colour


def texture_patch(tex, x0, y0, h, w, scale, rng):
    """Render a texture over an image window.

    The pattern is anchored to image coordinates, so the primitives of one
    garment join seamlessly.

    Args:
        tex (dict): Texture from
            :func:`hp_mm.minihumans.appearance.sample_texture`.
        x0 (int): Left of the window in image pixels.
        y0 (int): Top of the window in image pixels.
        h (int): Window height H.
        w (int): Window width W.
        scale (float): Pixels per body unit (the person height in pixels).
        rng (np.random.Generator): Random generator of noise textures; a
            texture with a ``seed`` entry (photo-style patterns) draws its
            noise from ``default_rng((seed, x0, y0))`` instead, leaving
            ``rng`` untouched.

    Returns:
        np.ndarray: Colours, shape (H, W, 3) uint8, or shape (3, ) for a solid
        texture.
    """
    kind = tex['kind']
    c1 = tex['c1']
    if kind == 'solid':
        return c1
    c2 = tex['c2']
    period = max(tex['period'] * scale, 3.0)
    if kind == 'noise':
        cell = max(period / 2.0, 2.0)
        gh, gw = int(h / cell) + 2, int(w / cell) + 2
        if 'seed' in tex:
            rng = np.random.default_rng((tex['seed'], x0, y0))
        grid = rng.random((gh, gw), np.float32)
        t = cv2.resize(grid, (w, h), interpolation=cv2.INTER_LINEAR)
        t = t[..., None]
        out = c1.astype(np.float32) * (1 - t) + c2.astype(np.float32) * t
        return out.astype(np.uint8)
    ys = np.arange(y0, y0 + h, dtype=np.float32)[:, None]
    xs = np.arange(x0, x0 + w, dtype=np.float32)[None, :]
    ang = np.deg2rad(tex['angle'])
    ca, sa = np.float32(np.cos(ang)), np.float32(np.sin(ang))
    if kind == 'stripes':
        u = xs * ca + ys * sa
        on = np.mod(u, period) < max(tex['width'] * scale, 1.5)
    elif kind == 'checks':
        u = np.floor((xs * ca + ys * sa) / period)
        v = np.floor((ys * ca - xs * sa) / period)
        on = np.mod(u + v, 2) < 1
    else:  # dots
        u = np.mod(xs, period) - period / 2
        v = np.mod(ys, period) - period / 2
        r = max(tex['width'] * scale * 0.6, 1.0)
        on = u * u + v * v < r * r
    return np.where(on[..., None], c2, c1).astype(np.uint8)


def palette_colour(rng):
    """A background colour: random, garment-like or skin-like."""
    r = rng.random()
    if r < 0.2:
        return skin_colour(rng)
    if r < 0.5:
        return random_colour(rng)
    return rng.integers(0, 256, 3).astype(np.uint8)


def render_background(rng, h, w, clutter=(2, 9), base=None, tint=None,
                      blur_prob=0.75):
    """Render a cluttered, textured background.

    A random linear gradient, then random rectangles, ellipses and polygons
    (solid, striped, checked, dotted or noisy; some skin- or garment-coloured
    so that colour alone does not separate people from the background), often
    blurred as if out of focus.

    Args:
        rng (np.random.Generator): Random generator.
        h (int): Height H.
        w (int): Width W.
        clutter (tuple[int, int]): Range of the number of shapes.
        base (np.ndarray | None): Two base colours, shape (2, 3), for a
            consistent scene look (e.g. one re-ID camera); random when None.
        tint (np.ndarray | None): Per-channel gains, shape (3, ).
        blur_prob (float): Probability of a depth-of-field blur.

    Returns:
        np.ndarray: Image, shape (H, W, 3) uint8 BGR.
    """
    if base is None:
        base = np.stack([palette_colour(rng), palette_colour(rng)])
    base = base.astype(np.float32) + rng.uniform(-20, 20, (2, 3))
    # gradient plus low-frequency shading, built on a coarse grid
    g = 6
    ang = rng.uniform(0, 2 * np.pi)
    t = np.linspace(0, 1, g, dtype=np.float32)
    t = t[None, :] * np.float32(np.cos(ang)) + t[:, None] * np.float32(
        np.sin(ang))
    t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    coarse = base[0] + t[..., None] * (base[1] - base[0])
    coarse += rng.uniform(-25, 25, (g, g, 1)).astype(np.float32)
    if tint is not None:
        coarse *= np.asarray(tint, np.float32)
    coarse = np.clip(coarse, 0, 255).astype(np.uint8)
    img = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_LINEAR)
    n = int(rng.integers(clutter[0], clutter[1] + 1))
    scale = float(max(h, w))
    for _ in range(n):
        kind = rng.random()
        cx, cy = rng.uniform(-0.1, 1.1) * w, rng.uniform(-0.1, 1.1) * h
        sx = rng.uniform(0.05, 0.5) * w
        sy = rng.uniform(0.05, 0.5) * h
        if kind < 0.4:
            pts = np.array([[cx - sx, cy - sy], [cx + sx, cy - sy],
                            [cx + sx, cy + sy], [cx - sx, cy + sy]])
        elif kind < 0.75:
            pts = ellipse_points(cx, cy, sx, sy, rng.uniform(0, 180), 28)
        else:
            k = int(rng.integers(3, 7))
            ang_k = np.sort(rng.uniform(0, 2 * np.pi, k))
            rad = rng.uniform(0.4, 1.0, k)
            pts = np.stack([cx + sx * rad * np.cos(ang_k),
                            cy + sy * rad * np.sin(ang_k)], 1)
        tex = sample_texture(rng, palette_colour(rng), plain_prob=0.7)
        fill_texture(img, pts, tex, scale, rng)
    if rng.random() < blur_prob:  # depth of field: the background is farther
        sigma = rng.uniform(0.003, 0.01) * max(h, w)
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    return img


def ellipse_points(cx, cy, rx, ry, angle=0.0, n=24):
    """Polygon approximating an ellipse.

    Args:
        cx (float): Centre x.
        cy (float): Centre y.
        rx (float): Semi-axis along the rotated x.
        ry (float): Semi-axis along the rotated y.
        angle (float): Rotation in degrees.
        n (int): Number of vertices.

    Returns:
        np.ndarray: Vertices, shape (n, 2).
    """
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    a = np.deg2rad(angle)
    x, y = rx * np.cos(t), ry * np.sin(t)
    return np.stack([cx + x * np.cos(a) - y * np.sin(a),
                     cy + x * np.sin(a) + y * np.cos(a)], 1)


def polygon_mask(pts, h, w):
    """Rasterise a polygon into the window it covers.

    Args:
        pts (np.ndarray): Vertices in image pixels (x, y), shape (N, 2).
        h (int): Image height.
        w (int): Image width.

    Returns:
        tuple | None: ``(x0, y0, mask)`` with a bool mask of shape
        (y1 - y0, x1 - x0), or None when the polygon misses the image.
    """
    x0 = max(int(np.floor(pts[:, 0].min())), 0)
    y0 = max(int(np.floor(pts[:, 1].min())), 0)
    x1 = min(int(np.ceil(pts[:, 0].max())) + 1, w)
    y1 = min(int(np.ceil(pts[:, 1].max())) + 1, h)
    if x1 <= x0 or y1 <= y0:
        return None
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    q = np.round((pts - (x0, y0)) * 8).astype(np.int32)
    cv2.fillPoly(mask, [q], 1, cv2.LINE_8, 3)
    return x0, y0, mask.view(bool)


def fill_texture(img, pts, tex, scale, rng, shade=1.0):
    """Fill a polygon of an image with a texture (image only, no labels).

    Args:
        img (np.ndarray): Image, shape (H, W, 3) uint8, modified in place.
        pts (np.ndarray): Vertices (x, y), shape (N, 2).
        tex (dict): Texture.
        scale (float): Texture scale (pixels per unit of ``tex['period']``).
        rng (np.random.Generator): Random generator.
        shade (float): Brightness multiplier.

    Returns:
        tuple | None: ``(x0, y0, mask)`` as in :func:`polygon_mask`.
    """
    hit = polygon_mask(pts, img.shape[0], img.shape[1])
    if hit is None:
        return None
    x0, y0, mask = hit
    h, w = mask.shape
    col = texture_patch(tex, x0, y0, h, w, scale, rng)
    if shade != 1.0:
        col = np.clip(col.astype(np.float32) * shade, 0, 255).astype(np.uint8)
    roi = img[y0:y0 + h, x0:x0 + w]
    np.copyto(roi, col, where=mask[..., None])
    return hit


def occluder_polygon(rng, box, h, w):
    """A random occluding object overlapping a person's box.

    Args:
        rng (np.random.Generator): Random generator.
        box (tuple): Person box (x0, y0, x1, y1) in pixels.
        h (int): Image height.
        w (int): Image width.

    Returns:
        np.ndarray: Vertices (x, y), shape (N, 2).
    """
    x0, y0, x1, y1 = box
    bw, bh = max(x1 - x0, 4), max(y1 - y0, 4)
    mode = rng.random()
    if mode < 0.4:  # object in front, rising from the bottom (table, car, ...)
        top = y0 + bh * rng.uniform(0.45, 0.9)
        left = x0 + bw * rng.uniform(-0.6, 0.3)
        right = left + bw * rng.uniform(0.5, 1.6)
        return np.array([[left, top], [right, top], [right, h + 2],
                         [left, h + 2]], float)
    if mode < 0.7:  # object entering from one side
        side = rng.random() < 0.5
        depth = bw * rng.uniform(0.2, 0.5)
        ya = y0 + bh * rng.uniform(0.0, 0.6)
        yb = ya + bh * rng.uniform(0.2, 0.6)
        if side:
            xa, xb = x0 - bw * 0.5, x0 + depth
        else:
            xa, xb = x1 - depth, x1 + bw * 0.5
        return np.array([[xa, ya], [xb, ya], [xb, yb], [xa, yb]], float)
    cx = x0 + bw * rng.uniform(0.2, 0.8)
    cy = y0 + bh * rng.uniform(0.25, 0.85)
    return ellipse_points(cx, cy, bw * rng.uniform(0.15, 0.4),
                          bh * rng.uniform(0.08, 0.2), rng.uniform(0, 180), 24)


__all__ = ['texture_patch', 'render_background', 'ellipse_points',
           'polygon_mask', 'fill_texture', 'occluder_polygon',
           'palette_colour']
