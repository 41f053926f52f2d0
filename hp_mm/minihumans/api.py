"""Array-level public API: render one image and its labels in a format."""
from . import labels as L
from .photo_style import PhotoStyle
from .scenes import scene_sample, single_person_sample
from .writers import contiguous_humans


def _labels(sample, fmt):
    _, kind, lut = L.FORMAT_LABELS[fmt]
    return lut[sample.sem if kind == 'sem' else sample.seg]


def render_single_person(rng, fmt='lip', view=None, framing=None,
                         pose_kind=None, max_size=None, occlusion_prob=0.3,
                         background_blur=None, garment_pattern_prob=None,
                         style_rng=None):
    """Render one person in a loose crop (LIP / ATR style).

    Args:
        rng (np.random.Generator): Random generator; it fully determines the
            image (the datasets use ``np.random.default_rng((seed, index))``).
        fmt (str): Label format: ``'lip'`` (20 classes), ``'atr'`` (18),
            ``'cihp'``, ``'mhp_v2'`` or ``'pascal_person_part'``; it also
            selects the garments that may be drawn.
        view (str | None): Force ``'front'`` or ``'back'``.
        framing (str | None): Force ``'full'``, ``'upper'``, ``'cut'`` or
            ``'headless'``.
        pose_kind (str | None): Force ``'stand'``, ``'walk'``, ``'raise'``
            or ``'hands'``.
        max_size (int | None): Cap of the longer image side.
        occlusion_prob (float): Probability of an occluding object.
        background_blur (tuple[float, float] | None): Photo style
            (:mod:`hp_mm.minihumans.photo_style`): background sigma range in
            pixels per 100 px of height. Defaults to None (sharp).
        garment_pattern_prob (float | None): Photo style: probability that a
            solid garment gets a pattern. Defaults to None (solid).
        style_rng (np.random.Generator | None): The photo style's own
            generator, required when a style option is set; ``rng`` makes the
            same draws with or without the style, so the label map, pose and
            attributes are those of the unstyled image.

    Returns:
        tuple: ``img`` (H, W, 3) uint8 BGR, ``label`` (H, W) uint8 in the
        format's classes, ``attributes`` dict of bools (``occlusion``,
        ``full_body``, ``upper_body``, ``head_missed``, ``back_view``,
        ``truncated``, ``occluded``) plus ``framing`` and ``pixels``.
    """
    s = single_person_sample(rng, fmt, view=view, framing=framing,
                             pose_kind=pose_kind, max_size=max_size,
                             occlusion_prob=occlusion_prob,
                             style=PhotoStyle(background_blur, garment_pattern_prob),
                             style_rng=style_rng)
    return s.img, _labels(s, fmt), s.attributes


def render_scene(rng, fmt='cihp', num_persons=None, min_persons=1,
                 max_persons=6, max_size=None, occlusion_prob=0.2,
                 background_blur=None, garment_pattern_prob=None):
    """Render a multi-person scene (CIHP / MHP / PASCAL / COCO style).

    Args:
        rng (np.random.Generator): Random generator; it fully determines the
            image.
        fmt (str): Label format (``'cihp'``, ``'mhp_v2'``,
            ``'pascal_person_part'``, ``'lip'``, ``'coco_person'``).
        num_persons (int | None): Number of people (sampled when None).
        min_persons (int): Least number of people.
        max_persons (int): Largest number of people.
        max_size (int | None): Cap of the longer image side.
        occlusion_prob (float): Probability of an occluding object.
        background_blur (tuple[float, float] | None): Photo style, as in
            :func:`render_single_person`. Defaults to None.
        garment_pattern_prob (float | None): Photo style, as in
            :func:`render_single_person`. Defaults to None. The style's
            generators are keyed by seeds drawn from ``rng`` as without it, so
            the maps do not change.

    Returns:
        tuple: ``img`` (H, W, 3) uint8 BGR, ``category_map`` (H, W) uint8 in
        the format's classes, ``human_map`` (H, W) uint8 with 0 background and
        1..N one per person (contiguous, far to near), ``persons`` (list of N
        attribute dicts).
    """
    s = scene_sample(rng, fmt, num_persons=num_persons,
                     min_persons=min_persons, max_persons=max_persons,
                     max_size=max_size, occlusion_prob=occlusion_prob,
                     style=PhotoStyle(background_blur, garment_pattern_prob))
    cat = _labels(s, fmt)
    valid = L.LIP_LUT[s.sem] > 0
    human, kept = contiguous_humans(s.human, valid)
    return s.img, cat, human, [s.persons[k - 1] for k in kept]
