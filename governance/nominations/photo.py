"""A nominee's photo: checked, turned upright, cropped square, stripped of metadata, re-encoded.

Only the pixels survive. Phone photos carry where they were taken (EXIF GPS), the device, and
sometimes a name in the comments or XMP; none of that belongs on a public candidate list, so the
output is a new image built from pixels alone. Re-encoding also means the bytes we serve were made
by us, not by the uploader.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from governance.errors import InvalidInput
from governance.i18n import _

# Checked on the upload's length before Pillow sees a byte.
MAX_BYTES = 5 * 1024 * 1024
# Tighter than Pillow's default bomb limit (~89 megapixels): a 40-megapixel image already needs
# ~120 MB as RGB, and no phone camera in common use takes more than ~50 megapixels.
MAX_PIXELS = 40_000_000
SIZE = 400
JPEG_QUALITY = 85
# Told to Pillow by name so it never even tries its other decoders on the upload.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
# What Pillow raises for a corrupt header, truncated pixel data or a malformed EXIF block.
_DAMAGED = (OSError, SyntaxError, ValueError, EOFError)


@dataclass(frozen=True, slots=True)
class ProcessedPhoto:
    data: bytes  # a baseline JPEG with no EXIF, XMP, ICC profile or comment
    width: int
    height: int
    content_type: str = "image/jpeg"


def process_photo(data: bytes) -> ProcessedPhoto:
    """The photo as a SIZE × SIZE JPEG, or InvalidInput saying what is wrong with the upload."""
    if len(data) > MAX_BYTES:
        limit = MAX_BYTES // 2**20
        raise _refused(_("The photo is larger than %(limit)d MB.") % {"limit": limit})
    with _open(data) as image:
        square = _upright_square(image)
    return ProcessedPhoto(data=_encode(square), width=SIZE, height=SIZE)


def _open(data: bytes) -> Image.Image:
    """The image with only its header read: its size is known, its pixels are not yet decoded."""
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except UnidentifiedImageError as error:
        raise _refused(_("The photo must be a JPEG, PNG or WebP image.")) from error
    # Pillow raises the error past twice its limit; below that it warns, which is an exception
    # only where warnings are errors (the tests). Either way our own, tighter check applies.
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _too_many_pixels() from error
    except _DAMAGED as error:
        raise _damaged() from error
    if image.width * image.height > MAX_PIXELS:
        image.close()
        raise _too_many_pixels()
    return image


def _upright_square(image: Image.Image) -> Image.Image:
    try:
        # A JPEG can be decoded at 1/2, 1/4 or 1/8 scale for a fraction of the memory and time;
        # Pillow keeps it at least SIZE on both sides. Other formats ignore this.
        image.draft("RGB", (SIZE, SIZE))
        upright = ImageOps.exif_transpose(image)
        return ImageOps.fit(_on_white(upright), (SIZE, SIZE), method=Image.Resampling.LANCZOS)
    except _DAMAGED as error:
        raise _damaged() from error


def _on_white(image: Image.Image) -> Image.Image:
    # JPEG has no transparency; converting RGBA straight to RGB would show whatever colour the
    # transparent pixels happen to hold (often black), so lay them on white as a page would.
    if not image.has_transparency_data:
        return image.convert("RGB")
    layer = image.convert("RGBA")
    return Image.alpha_composite(Image.new("RGBA", layer.size, "white"), layer).convert("RGB")


def _encode(image: Image.Image) -> bytes:
    # A new image has an empty info dict: nothing read from the upload (EXIF, XMP, ICC, comment)
    # can reach the encoder, which otherwise carries some of it over from the source.
    pixels_only = Image.new("RGB", image.size)
    pixels_only.paste(image)
    buffer = io.BytesIO()
    pixels_only.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue()


def _too_many_pixels() -> InvalidInput:
    message = _("The photo has more than %(limit)d megapixels; please upload a smaller version.")
    return _refused(message % {"limit": MAX_PIXELS // 1_000_000})


def _damaged() -> InvalidInput:
    return _refused(_("The photo could not be read; it may be damaged."))


def _refused(message: str) -> InvalidInput:
    return InvalidInput({"photo": message})
