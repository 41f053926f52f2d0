"""Photo style: patterned clothing in front of out-of-focus backgrounds.

By default MiniHumans draws mostly plain garments in front of busy, textured
backgrounds: the opposite of real photos, where clothes carry the texture
and the background is smooth or out of focus. :class:`PhotoStyle` moves the
synthetic data towards the photos without changing anything else:

* ``background_blur``: the rendered background (before people are drawn) is
  Gaussian-blurred with a sigma drawn uniformly from ``[lo, hi]`` in
  **pixels per 100 px of image height** (scale-free: ``(2, 2)`` is sigma 2
  on a 100 px crop and sigma 8 on a 400 px image);
* ``garment_pattern_prob``: every garment whose texture is ``'solid'`` is
  replaced, with this probability, by stripes, checks, dots or noise that
  keep its base colour ``c1`` (skin, hair, shoes, belts and bags untouched).

Its random draws come from a generator of their own (the writers key it by
``(seed, index, STYLE_STREAM)``, by the re-ID identity or by a scene's
person and background seeds), never from the image's generator, so an
image rendered with the style shows the same people, poses, colours, boxes
and background layout as without it, and its label maps are identical.
"""
import dataclasses
import math

import cv2
import numpy as np

from .appearance import sample_texture

#: last entry of the seed tuples of the style's own generators.
STYLE_STREAM = 0x5E7
#: Appearance fields that hold garment textures (skin, hair, shoes, belts
#: and bags are not garments here and keep their look).
GARMENT_FIELDS = ('upper', 'coat', 'dress', 'jumpsuit', 'pants', 'skirt',
                  'hat', 'scarf', 'gloves', 'socks')
#: probabilities of the patterns that replace a solid garment.
PATTERN_KINDS = dict(stripes=0.35, checks=0.25, dots=0.2, noise=0.2)


def style_generator(*key):
    """The style's own generator for a seed tuple (e.g. ``(seed, index)``).

    Args:
        *key (int): Non-negative integers identifying the image, identity
            or person.

    Returns:
        np.random.Generator: Seeded with ``key + (STYLE_STREAM, )``.
    """
    return np.random.default_rng(tuple(int(k) for k in key) +
                                 (STYLE_STREAM, ))


def _check_blur(blur):
    if blur is None:
        return None
    try:
        lo, hi = (float(v) for v in blur)
    except (TypeError, ValueError):
        raise ValueError('background_blur must be a pair (lo, hi) of sigmas '
                         f'in pixels per 100 px of image height, got {blur!r}')
    if not (math.isfinite(hi) and 0 <= lo <= hi):
        raise ValueError('background_blur must be (lo, hi) with 0 <= lo <= '
                         f'hi (pixels per 100 px of image height), got '
                         f'{blur!r}')
    return lo, hi


def _check_prob(prob):
    if prob is None:
        return None
    try:
        p = float(prob)
    except (TypeError, ValueError):
        p = math.nan
    if not 0 <= p <= 1:
        raise ValueError('garment_pattern_prob must be a probability in '
                         f'[0, 1], got {prob!r}')
    return p


@dataclasses.dataclass(frozen=True)
class PhotoStyle:
    """The photo-style options of a writer (both None: the default data).

    Args:
        background_blur (tuple[float, float] | None): Range ``(lo, hi)`` of
            the background's Gaussian sigma in pixels per 100 px of image
            height, ``0 <= lo <= hi``; None leaves the background as is.
        garment_pattern_prob (float | None): Probability in [0, 1] that a
            solid garment gets a pattern; None leaves the outfit as is.

    Raises:
        ValueError: A value out of range, naming the option.
    """
    background_blur: tuple = None
    garment_pattern_prob: float = None

    def __post_init__(self):
        object.__setattr__(self, 'background_blur',
                           _check_blur(self.background_blur))
        object.__setattr__(self, 'garment_pattern_prob',
                           _check_prob(self.garment_pattern_prob))

    @property
    def active(self):
        """Whether any option is set (else the style changes nothing)."""
        return (self.background_blur is not None
                or self.garment_pattern_prob is not None)

    def as_dict(self):
        """The options set, for the dataset card."""
        return {k: v for k, v in dataclasses.asdict(self).items()
                if v is not None}

    def blur_background(self, img, rng):
        """Blur a rendered background as if out of focus.

        Args:
            img (np.ndarray): Background, shape (H, W, 3) uint8.
            rng (np.random.Generator): The style's generator (one draw).

        Returns:
            np.ndarray: The blurred image (H, W, 3) uint8, or ``img`` itself
            when the option is off or the drawn sigma is 0.
        """
        if self.background_blur is None:
            return img
        sigma = rng.uniform(*self.background_blur) * img.shape[0] / 100.0
        if sigma <= 0:
            return img
        return cv2.GaussianBlur(img, (0, 0), sigma)

    def pattern_garments(self, app, rng):
        """Give solid garments a pattern in their own base colour.

        For each field of ``GARMENT_FIELDS`` in turn, whether or not the
        person wears it, ``rng`` gives one uniform draw (the decision) and
        one seed (the pattern's own generator), so one garment's pattern
        does not depend on the others'.

        Args:
            app (Appearance): Outfit; not modified.
            rng (np.random.Generator): The style's generator.

        Returns:
            Appearance: ``app`` itself when the option is off, else a copy
            whose replaced garments hold a texture of a ``PATTERN_KINDS``
            kind with the same ``c1`` and a ``seed`` for noise.
        """
        if self.garment_pattern_prob is None:
            return app
        changes = {}
        for name in GARMENT_FIELDS:
            tex = getattr(app, name)
            hit = rng.random() < self.garment_pattern_prob
            seed = int(rng.integers(0, 2**62))
            if hit and tex is not None and tex['kind'] == 'solid':
                pattern = sample_texture(np.random.default_rng(seed),
                                         tex['c1'], kinds=PATTERN_KINDS)
                changes[name] = dict(pattern, seed=seed)
        return dataclasses.replace(app, **changes)


__all__ = ['PhotoStyle', 'style_generator', 'STYLE_STREAM', 'GARMENT_FIELDS',
           'PATTERN_KINDS']
