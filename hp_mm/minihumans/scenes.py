"""Image layouts: single-person crops, multi-person scenes and re-ID crops.

Each renderer returns a :class:`Sample` whose label maps are the canvas maps
(drawing codes, body segments, person index); the writers turn them into each
format's labels with the look-up tables of :mod:`.labels`.
"""
from dataclasses import dataclass, field

import cv2
import numpy as np

from . import labels as L
from .appearance import sample_appearance, sample_texture
from .body import Skeleton, sample_pose, sample_shape
from .photo_style import PhotoStyle, style_generator
from .render import Canvas, draw_person
from .textures import occluder_polygon, render_background

#: appearance options per format (see ``sample_appearance``).
FORMAT_OPTIONS = {
    'lip': dict(jumpsuit=True),
    'atr': dict(jumpsuit=True, belt=True, bag=0.25),
    'cihp': dict(jumpsuit=False, torso_skin=True),
    'mhp_v2': dict(jumpsuit=True, torso_skin=True, belt=True, bag=0.2),
    'pascal_person_part': dict(jumpsuit=True, tight=True),
    'coco_person': dict(jumpsuit=True, bag=0.2),
    'market1501': dict(jumpsuit=True, bag=0.35),
}


@dataclass
class Sample:
    """A rendered image and its maps.

    Attributes:
        img (np.ndarray): Image, shape (H, W, 3) uint8 BGR.
        sem (np.ndarray): Drawing codes, shape (H, W) uint8.
        seg (np.ndarray): Body-segment ids, shape (H, W) uint8.
        human (np.ndarray): Person index 0..N, contiguous, shape (H, W)
            uint8.
        persons (list[dict]): Per visible person (index i + 1): attributes.
        attributes (dict): Image-level attributes (single-person images).
    """
    img: np.ndarray
    sem: np.ndarray
    seg: np.ndarray
    human: np.ndarray
    persons: list = field(default_factory=list)
    attributes: dict = field(default_factory=dict)


def _seed(rng):
    return int(rng.integers(0, 2**62))


def _checked_style(style, rng):
    """The photo style to apply (None: none); an active one needs its own generator."""
    style = PhotoStyle() if style is None else style
    if style.active and rng is None:
        raise ValueError('a photo style needs its own generator (style_rng)')
    return style


def finish_image(img, rng, noise=4, blur_prob=0.4, jitter=True):
    """Camera effects, applied in place: colour jitter, blur, sensor noise.

    Args:
        img (np.ndarray): Image, shape (H, W, 3) uint8.
        rng (np.random.Generator): Random generator.
        noise (int): Noise amplitude in grey levels.
        blur_prob (float): Probability of a slight Gaussian blur.
        jitter (bool): Random brightness/contrast.

    Returns:
        np.ndarray: The image (same array).
    """
    if jitter:
        a = rng.uniform(0.85, 1.15)
        b = rng.uniform(-15, 15)
        cv2.convertScaleAbs(img, img, a, b)
    if rng.random() < blur_prob:
        cv2.GaussianBlur(img, (3, 3), rng.uniform(0.4, 0.8), img)
    if noise:
        n = rng.integers(0, 2 * noise + 1, img.shape, dtype=np.uint8)
        cv2.add(img, n, img)
        cv2.subtract(img, np.full_like(n, noise), img)
    return img


def person_attributes(canvas, idx, box, occluded):
    """Attributes of one drawn person, computed from the label maps.

    Args:
        canvas (Canvas): Painted canvas.
        idx (int): Person index in ``canvas.human``.
        box (tuple): Unclipped drawn extent (x0, y0, x1, y1) in pixels.
        occluded (bool): Whether something drawn later hides part of them.

    Returns:
        dict: ``occlusion`` (occluded or truncated), ``truncated``,
        ``occluded``, ``full_body``, ``upper_body``, ``head_missed`` (bools)
        and ``pixels`` (visible pixel count).
    """
    mine = canvas.human == idx
    seg = np.where(mine, canvas.seg, 0)
    counts = np.bincount(seg.ravel(), minlength=L.NUM_SEGMENTS)
    h, w = canvas.h, canvas.w
    truncated = bool(box[0] < -1 or box[1] < -1 or box[2] > w or
                     box[3] > h)
    head_missed = bool(counts[L.SEG_HEAD] == 0)
    feet = counts[L.SEG_FOOT_L] > 0 and counts[L.SEG_FOOT_R] > 0
    lower = counts[list(L.SHIN_FOOT_SEGMENTS)].sum()
    return dict(
        occlusion=bool(occluded or truncated), truncated=truncated,
        occluded=bool(occluded), full_body=bool(not head_missed and feet),
        upper_body=bool(not head_missed and lower == 0 and box[3] > h),
        head_missed=head_missed, pixels=int(mine.sum()))


def _paint_occluder(canvas, rng, box, scale):
    """Paint a background-textured object over a person's box.

    Returns:
        int: Number of person pixels it hid.
    """
    pts = occluder_polygon(rng, box, canvas.h, canvas.w)
    before = canvas.human > 0
    tex = sample_texture(rng, plain_prob=0.5)
    canvas.paint(pts, L.BG, L.SEG_NONE, 0, tex, scale, rng,
                 float(rng.uniform(0.8, 1.1)))
    return int((before & (canvas.human == 0)).sum())


def sample_person(rng, fmt='lip', view=None, pose_kind=None, app=None,
                  shape=None, back_prob=0.35, max_yaw=40.0):
    """Sample body shape, pose and outfit of one person.

    Args:
        rng (np.random.Generator): Random generator.
        fmt (str): Format whose garment options apply.
        view (str | None): Force ``'front'`` or ``'back'``.
        pose_kind (str | None): Force a pose family.
        app (Appearance | None): Fixed outfit (re-ID identities).
        shape (BodyShape | None): Fixed proportions.
        back_prob (float): Probability of a back view.
        max_yaw (float): Largest turn away from front/back.

    Returns:
        tuple: (BodyShape, Pose, Appearance).
    """
    shape = sample_shape(rng) if shape is None else shape
    pose = sample_pose(rng, view=view, kind=pose_kind, back_prob=back_prob,
                       max_yaw=max_yaw)
    if app is None:
        app = sample_appearance(rng, **FORMAT_OPTIONS.get(fmt, {}))
    return shape, pose, app


def _extent(shape, pose):
    """Projected x-extent (body units) of a posed body, with margins."""
    sk = Skeleton(shape, pose)
    xs = np.array([sk.xy(n)[0] for n in sk.joints])
    return xs.min() - 0.07, xs.max() + 0.07, sk.xy('pelvis')[0]


#: framings of single-person crops and their probabilities.
FRAMINGS = {'full': 0.46, 'upper': 0.26, 'cut': 0.2, 'headless': 0.08}


def single_person_sample(rng, fmt='lip', view=None, framing=None,
                         pose_kind=None, max_size=None, occlusion_prob=0.3,
                         size_range=(120, 500), background_clutter=(2, 9),
                         style=None, style_rng=None):
    """Render a loose crop around one person (LIP / ATR style).

    Args:
        rng (np.random.Generator): Random generator; fully determines the
            image.
        fmt (str): Format whose garment options apply (``'lip'``, ``'atr'``).
        view (str | None): Force ``'front'`` or ``'back'``.
        framing (str | None): Force ``'full'`` (whole body), ``'upper'``
            (head to about the waist, legs cut by the border), ``'cut'``
            (cut at the knees or a side) or ``'headless'`` (head outside).
        pose_kind (str | None): Force a pose family.
        max_size (int | None): Cap of the longer image side; the layout is
            scaled down before drawing so labels stay exact.
        occlusion_prob (float): Probability of an occluding object.
        size_range (tuple[int, int]): Range of the image height.
        background_clutter (tuple[int, int]): Range of the number of
            background shapes.
        style (PhotoStyle | None): Photo style (patterned garments, blurred
            background); None draws the default image.
        style_rng (np.random.Generator | None): The style's own generator
            (required with an active style); ``rng`` makes the same draws
            with or without a style, so maps and layout do not change.

    Returns:
        Sample: The image (H, W, 3), maps (H, W) and ``attributes`` with
        ``occlusion``, ``full_body``, ``upper_body``, ``head_missed``,
        ``back_view`` (plus ``truncated``, ``occluded`` and ``framing``).
    """
    style = _checked_style(style, style_rng)
    shape, pose, app = sample_person(rng, fmt, view, pose_kind)
    app = style.pattern_garments(app, style_rng)
    if framing is None:
        names = list(FRAMINGS)
        framing = names[rng.choice(len(names),
                                   p=np.array(list(FRAMINGS.values())))]
    u = rng.uniform
    lo_h, hi_h = size_range
    img_h = lo_h + (hi_h - lo_h) * rng.beta(1.2, 1.4)
    if framing == 'full':
        v_top, v_bot = -u(0.02, 0.12), 1.03 + u(0.0, 0.12)
    elif framing == 'upper':
        img_h = lo_h + (hi_h - lo_h) * rng.beta(2.4, 1.0)
        v_top, v_bot = -u(0.0, 0.06), u(0.34, 0.6)
    elif framing == 'cut':
        v_top, v_bot = -u(0.0, 0.1), u(0.68, 0.95)
    else:
        v_top, v_bot = u(0.15, 0.3), u(0.7, 1.1)
    scale = img_h / (v_bot - v_top)
    x_lo, x_hi, x_mid = _extent(shape, pose)
    person_w = (x_hi - x_lo) * scale
    img_w = max(person_w * u(1.05, 1.5), img_h * u(0.45, 0.75))
    img_w = min(img_w, img_h * 1.25, 640.0)
    cx = img_w / 2 + u(-0.08, 0.08) * img_w
    if framing == 'cut' and rng.random() < 0.5:  # cut at one side instead
        v_bot = 1.03 + u(0.0, 0.08)
        scale = img_h / (v_bot - v_top)
        shift = (x_hi - x_lo) * scale * u(0.2, 0.4)
        cx = (img_w / 2 + (img_w / 2 + shift) * rng.choice([-1, 1])
              * (0.5 + 0.5 * u(0, 1)))
        cx = float(np.clip(cx, -0.1 * img_w, 1.1 * img_w))
    origin = np.array([cx - ((x_lo + x_hi) / 2) * scale, -v_top * scale])
    if max_size is not None and max(img_h, img_w) > max_size:
        f = max_size / max(img_h, img_w)
        img_h, img_w, scale, origin = img_h * f, img_w * f, scale * f, \
            origin * f
    h, w = max(int(round(img_h)), 16), max(int(round(img_w)), 16)
    bg = render_background(rng, h, w, clutter=background_clutter)
    canvas = Canvas(style.blur_background(bg, style_rng))
    info = draw_person(canvas, shape, pose, app, scale, origin, 1, rng,
                       light=u(-0.25, 0.25))
    hidden = 0
    if rng.random() < occlusion_prob:
        hidden = _paint_occluder(canvas, rng, info['box'], scale)
    total = int((canvas.human == 1).sum()) + hidden
    occluded = hidden > max(4, 0.01 * total)
    canvas.outline(u(0.6, 0.85))
    finish_image(canvas.img, rng)
    att = person_attributes(canvas, 1, info['box'], occluded)
    att['back_view'] = pose.back_view
    att['framing'] = framing
    return Sample(canvas.img, canvas.sem, canvas.seg, canvas.human,
                  [att], att)


def _scene_people(rng, n, h, w, fmt):
    """Sample people of a scene on a ground plane, sorted far to near."""
    horizon = h * rng.uniform(0.15, 0.45)
    people = []
    for _ in range(n):
        t = rng.uniform(0.0, 0.85) ** 1.3  # 0 near, 1 far
        feet = horizon + (h * 1.25 - horizon) * (1 - t) + 10
        height = (feet - horizon) * rng.uniform(1.0, 1.35)
        height = max(height, 40.0)
        people.append(dict(t=t, feet=feet, height=height,
                           x=rng.uniform(0.05, 0.95) * w, seed=_seed(rng)))
    people.sort(key=lambda p: -p['t'])
    return people


def scene_sample(rng, fmt='cihp', num_persons=None, min_persons=1,
                 max_persons=6, max_size=None, occlusion_prob=0.2,
                 min_pixels=24, style=None):
    """Render a multi-person scene (CIHP / MHP / PASCAL / COCO style).

    People stand on a ground plane: farther people are smaller and higher
    and are drawn first, so nearer people occlude them. People closer than
    the image bottom are truncated (upper bodies).

    Args:
        rng (np.random.Generator): Random generator; fully determines the
            image.
        fmt (str): Format whose garment options apply.
        num_persons (int | None): Number of people; sampled in
            [min_persons, max_persons] when None.
        min_persons (int): Least number of people.
        max_persons (int): Largest number of people.
        max_size (int | None): Cap of the longer image side.
        occlusion_prob (float): Probability of an occluding object.
        min_pixels (int): People left with fewer visible pixels are
            removed from the scene (it is redrawn without them), or moved
            when fewer than ``min_persons`` would remain.
        style (PhotoStyle | None): Photo style; its generators are keyed by
            each person's and the background's seeds (drawn from ``rng``
            as without a style), so maps and layout do not change.

    Returns:
        Sample: Image (H, W, 3), maps (H, W) with ``human`` in 1..N
        (contiguous, far to near) and ``persons`` (attributes per person,
        including ``back_view`` and ``pixels``).
    """
    style = PhotoStyle() if style is None else style
    n = num_persons or int(rng.integers(min_persons, max_persons + 1))
    h = rng.uniform(300, 500)
    w = h * rng.uniform(1.0, 1.5)
    f = 1.0
    if max_size is not None and max(h, w) > max_size:
        f = max_size / max(h, w)
    people = _scene_people(rng, n, h, w, fmt)
    bg_seed, occ_seed, fin_seed = _seed(rng), _seed(rng), _seed(rng)
    occ = rng.random() < occlusion_prob
    keep = list(range(n))
    tries = 8
    for attempt in range(tries):
        last = attempt == tries - 1
        sample, hidden = _draw_scene(people, keep, h, w, f, fmt, bg_seed, occ,
                                     occ_seed, fin_seed,
                                     0 if last else min_pixels, style)
        if not hidden:
            return sample
        if len(keep) - len(hidden) >= min_persons:
            keep = [k for k in keep if k not in hidden]
        else:  # too few people left: move the hidden ones elsewhere
            for k in hidden:
                people[k]['x'] = (people[k]['x'] + 0.37 * w) % w
    return sample


def _draw_scene(people, keep, h, w, f, fmt, bg_seed, occ, occ_seed,
                fin_seed, min_pixels, style):
    hh, ww = max(int(round(h * f)), 16), max(int(round(w * f)), 16)
    bg = render_background(np.random.default_rng(bg_seed), hh, ww)
    canvas = Canvas(style.blur_background(bg, style_generator(bg_seed)))
    infos = []
    for idx, k in enumerate(keep, 1):
        p = people[k]
        prng = np.random.default_rng(p['seed'])
        shape, pose, app = sample_person(prng, fmt)
        app = style.pattern_garments(app, style_generator(p['seed']))
        scale = p['height'] * f
        x_lo, x_hi, _ = _extent(shape, pose)
        origin = np.array([p['x'] * f - (x_lo + x_hi) / 2 * scale,
                           p['feet'] * f - scale])
        info = draw_person(canvas, shape, pose, app, scale, origin, idx, prng,
                           light=prng.uniform(-0.25, 0.25))
        info['back_view'] = pose.back_view
        infos.append(info)
    counts_before = None
    if occ and infos:
        orng = np.random.default_rng(occ_seed)
        target = infos[int(orng.integers(len(infos)))]
        counts_before = np.bincount(canvas.human.ravel(), minlength=256)
        _paint_occluder(canvas, orng, target['box'],
                        max(target['box'][3] - target['box'][1], 1.0))
    counts = np.bincount(canvas.human.ravel(), minlength=256)
    hidden = [keep[i - 1] for i in range(1, len(keep) + 1)
              if counts[i] < min_pixels]
    if hidden:
        return None, hidden
    frng = np.random.default_rng(fin_seed)
    canvas.outline(frng.uniform(0.6, 0.85))
    finish_image(canvas.img, frng)
    persons = []
    for idx, info in enumerate(infos, 1):
        lost = 0 if counts_before is None else \
            int(counts_before[idx] - counts[idx])
        att = person_attributes(canvas, idx, info['box'], False)
        att['occluded'] = bool(lost > 0 or _behind_others(canvas, idx, info))
        att['occlusion'] = att['occluded'] or att['truncated']
        att['back_view'] = info['back_view']
        persons.append(att)
    return Sample(canvas.img, canvas.sem, canvas.seg, canvas.human,
                  persons), []


def _behind_others(canvas, idx, info):
    """Whether a nearer person covers part of person ``idx``'s extent."""
    x0, y0, x1, y1 = (int(np.clip(v, 0, lim)) for v, lim in zip(
        info['box'], (canvas.w, canvas.h, canvas.w, canvas.h)))
    if x1 <= x0 or y1 <= y0:
        return False
    return bool((canvas.human[y0:y1, x0:x1] > idx).any())


def reid_sample(rng, identity, camera, h=128, w=64, occlusion_prob=0.12,
                junk=False, style=None, style_rng=None):
    """Render a pedestrian crop as a re-ID detector box (Market-1501 style).

    Args:
        rng (np.random.Generator): Random generator of this image (pose,
            view, box jitter, background details).
        identity (dict): ``shape`` (BodyShape) and ``app`` (Appearance),
            fixed per identity.
        camera (dict): ``base`` (2, 3) background colours, ``tint`` (3, )
            colour-temperature gains, ``clutter`` (min, max) shapes.
        h (int): Crop height.
        w (int): Crop width.
        occlusion_prob (float): Probability of an occluding object.
        junk (bool): Make a junk box (mostly background, a sliver of a
            person).
        style (PhotoStyle | None): Photo style; only its background blur
            applies here (an identity's garments are styled once, with the
            identity, by the writer).
        style_rng (np.random.Generator | None): The style's own generator
            (required with an active style).

    Returns:
        Sample: The crop, maps and ``attributes``.
    """
    style = _checked_style(style, style_rng)
    shape, pose, app = sample_person(
        rng, 'market1501', app=identity['app'], shape=identity['shape'],
        back_prob=0.4, max_yaw=70.0,
        pose_kind='walk' if rng.random() < 0.6 else 'stand')
    u = rng.uniform
    scale = h * u(0.8, 0.95)
    x_lo, x_hi, _ = _extent(shape, pose)
    cx = w / 2 + u(-0.1, 0.1) * w
    top = u(-0.05, 0.08) * h
    if junk:
        cx = w / 2 + rng.choice([-1, 1]) * u(0.45, 0.75) * w
        top = u(-0.3, 0.5) * h
    origin = np.array([cx - (x_lo + x_hi) / 2 * scale, top])
    bg = render_background(rng, h, w, clutter=camera['clutter'],
                           base=camera['base'])
    canvas = Canvas(style.blur_background(bg, style_rng))
    info = draw_person(canvas, shape, pose, app, scale, origin, 1, rng,
                       light=u(-0.2, 0.2))
    hidden = 0
    if rng.random() < occlusion_prob:
        hidden = _paint_occluder(canvas, rng, info['box'], scale)
    canvas.outline(u(0.6, 0.85))
    tint = camera['tint']
    img = canvas.img.astype(np.float32) * tint
    canvas.img[...] = np.clip(img, 0, 255).astype(np.uint8)
    finish_image(canvas.img, rng, noise=5, blur_prob=0.6)
    total = int((canvas.human == 1).sum()) + hidden
    att = person_attributes(canvas, 1, info['box'],
                            hidden > max(4, 0.01 * total))
    att['back_view'] = pose.back_view
    return Sample(canvas.img, canvas.sem, canvas.seg, canvas.human, [att],
                  att)
