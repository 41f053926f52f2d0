"""Generate a MiniHumans synthetic dataset in a real dataset's on-disk format.

Examples:
    python tools/dataset_converters/generate_minihumans.py lip \
        data/minihumans/LIP --num-train 600 --num-val 100 --seed 0 --workers 2
    python tools/dataset_converters/generate_minihumans.py lip \
        data/minihumans/LIP_256 --max-size 256 --workers 2
    python tools/dataset_converters/generate_minihumans.py market1501 \
        data/minihumans/market1501 --num-train 100 --num-val 100
    python tools/dataset_converters/generate_minihumans.py atr \
        data/minihumans/ATR_photo --background-blur 1.5 3 \
        --garment-pattern-prob 0.7

The last one is the photo style: patterned clothes in front of out-of-focus
backgrounds, the same people, layouts and label maps as without it.

For ``market1501`` the sizes are identities (train / test identities).
Prints a progress bar, the generation rate and the dataset card (also saved
as ``<out_dir>/minihumans_card.json``).
"""
import argparse

from hp_mm.minihumans import FORMATS, format_card, generate_dataset


def parse_args():
    parser = argparse.ArgumentParser(
        description='Generate a MiniHumans synthetic dataset')
    parser.add_argument('format', choices=FORMATS, help='dataset format')
    parser.add_argument('out_dir', help='dataset root to write')
    parser.add_argument('--num-train', type=int, default=600,
                        help='train images (market1501: train identities)')
    parser.add_argument('--num-val', type=int, default=100,
                        help='val images (market1501: test identities)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--workers', type=int, default=1,
                        help='worker processes')
    parser.add_argument('--max-size', type=int, default=None,
                        help='cap of the longer image side, e.g. 256 for a '
                        'CPU training run (not for market1501)')
    parser.add_argument('--images-per-camera', type=int, default=3,
                        help='market1501: most images per identity/camera')
    parser.add_argument('--background-clutter', type=int, nargs=2,
                        default=None, metavar=('MIN', 'MAX'),
                        help='lip, atr, market1501: range of the number of '
                        'background shapes per image (default: the format\'s, '
                        'as busy as the person; 0 0: plain shaded backgrounds)')
    parser.add_argument('--background-blur', type=float, nargs=2,
                        default=None, metavar=('LO', 'HI'),
                        help='photo style, all formats: Gaussian-blur the '
                        'background (before people are drawn) with a sigma '
                        'drawn from [LO, HI] pixels per 100 px of image '
                        'height, e.g. 1.5 3 (default: no extra blur)')
    parser.add_argument('--garment-pattern-prob', type=float, default=None,
                        metavar='P',
                        help='photo style, all formats: probability that a '
                        'solid garment gets stripes, checks, dots or noise in '
                        'its own colour, e.g. 0.7 (default: outfits as drawn)')
    parser.add_argument('--no-progress', action='store_true',
                        help='do not show a progress bar')
    return parser.parse_args()


def main():
    args = parse_args()
    kwargs = {}
    if args.format == 'market1501':
        kwargs['images_per_camera'] = args.images_per_camera
    if args.background_clutter is not None:
        kwargs['background_clutter'] = tuple(args.background_clutter)
    if args.background_blur is not None:
        kwargs['background_blur'] = tuple(args.background_blur)
    if args.garment_pattern_prob is not None:
        kwargs['garment_pattern_prob'] = args.garment_pattern_prob
    card = generate_dataset(args.format, args.out_dir, args.num_train,
                            args.num_val, seed=args.seed,
                            workers=args.workers, max_size=args.max_size,
                            progress=not args.no_progress, **kwargs)
    n = card['num_images']['total']
    print(f"\nwrote {n} images to {args.out_dir} in {card['seconds']:.1f} s: "
          f"{card['rate']:.1f} images/s with {args.workers} worker(s)")
    print(format_card(card))


if __name__ == '__main__':
    main()
