"""Photo decoding and resizing with Pillow: blocking, run in a worker thread by the media service.

Decompression bombs are refused twice: Pillow's own pixel limit (its warning is an error here) and
our check of the header's dimensions before any pixel is decoded. Every size is re-encoded as a
JPEG from pixels alone, so no EXIF (GPS location, camera, orientation) survives.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps

from steppe.domain import limits, media
from steppe.domain.errors import bad_request

Image.MAX_IMAGE_PIXELS = limits.PHOTO_MAX_PIXELS
warnings.simplefilter("error", Image.DecompressionBombWarning)

FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP")
JPEG_QUALITY = 87

Rendered = tuple[str, int, int, bytes]  # size type, width, height, JPEG bytes


def render(data: bytes, boxes: tuple[tuple[str, int], ...], *, square: bool = False
           ) -> list[Rendered]:
    """The JPEG sizes of an image (see `media.size_plan`); refuses what is not a sound photo."""
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as img:
            media.check_photo_dimensions(*img.size)
            biggest = boxes[-1][1]
            img.draft("RGB", (biggest, biggest))
            img.load()
            return _sizes(_rgb(ImageOps.exif_transpose(img)), boxes, square)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise bad_request("PHOTO_INVALID_DIMENSIONS", "the image is too large") from exc
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, KeyError, TypeError) as exc:
        raise bad_request("PHOTO_INVALID", "not an image the server can read") from exc


def _rgb(img: Image.Image) -> Image.Image:
    if img.mode == "RGB":
        return img
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    return img.convert("RGB")


def _sizes(img: Image.Image, boxes: tuple[tuple[str, int], ...], square: bool) -> list[Rendered]:
    if square:
        side = min(img.size)
        left, top = (img.width - side) // 2, (img.height - side) // 2
        img = img.crop((left, top, left + side, top + side))
    out = []
    for kind, w, h in media.size_plan(img.width, img.height, boxes):
        sized = img if (w, h) == img.size else img.resize((w, h), Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        sized.save(buf, "JPEG", quality=JPEG_QUALITY, optimize=True)
        out.append((kind, w, h, buf.getvalue()))
    return out
