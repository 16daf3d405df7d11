"""Photos: what is accepted, what comes out (upright, square, pixels only) and what is refused."""

from __future__ import annotations

import io
import random
import struct
import warnings
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms, PngImagePlugin

from governance.errors import InvalidInput
from governance.nominations.photo import MAX_BYTES, ProcessedPhoto, process_photo

RED = (220, 20, 20)
BLUE = (20, 20, 220)
GREEN = (0, 160, 0)
WHITE = (255, 255, 255)

NOT_AN_IMAGE = "The photo must be a JPEG, PNG or WebP image."
DAMAGED = "The photo could not be read; it may be damaged."
TOO_MANY_PIXELS = "The photo has more than 40 megapixels; please upload a smaller version."


def _encoded(image: Image.Image, format: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **params)
    return buffer.getvalue()


def _near(pixel: object, colour: tuple[int, int, int]) -> bool:
    # JPEG is lossy: a flat colour comes back within a few levels, not exactly.
    assert isinstance(pixel, tuple)
    return all(abs(got - want) <= 40 for got, want in zip(pixel, colour, strict=True))


def _segment_markers(jpeg: bytes) -> list[int]:
    """The marker of every segment before the image data (APPn, COM, DQT, SOF, DHT, …)."""
    assert jpeg[:2] == b"\xff\xd8"
    markers, position = [], 2
    while True:
        marker, length = jpeg[position + 1], struct.unpack(">H", jpeg[position + 2 : position + 4])
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows, no more metadata
            return markers
        position += 2 + length[0]


def _refusal(data: bytes) -> str:
    with pytest.raises(InvalidInput) as refused:
        process_photo(data)
    assert refused.value.status_code == 422
    assert set(refused.value.fields) == {"photo"}
    return refused.value.fields["photo"]


def _phone_photo() -> bytes:
    """Stored landscape, red over blue, with EXIF saying "turn 90° clockwise to view", GPS too."""
    image = Image.new("RGB", (600, 400), RED)
    image.paste(BLUE, (0, 200, 600, 400))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneCo"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 7.0, 39.0)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return _encoded(
        image,
        "JPEG",
        exif=exif,
        icc_profile=srgb,
        comment=b"Taken at 12 Home Street",
        xmp=b"<x:xmpmeta><dc:creator>Ann Example</dc:creator></x:xmpmeta>",
    )


def test_a_phone_photo_comes_out_upright_square_and_without_metadata() -> None:
    source = _phone_photo()
    with Image.open(io.BytesIO(source)) as original:  # the upload really carries all of it
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert {"comment", "xmp", "icc_profile"} <= set(original.info)

    processed = process_photo(source)

    assert processed == ProcessedPhoto(processed.data, 400, 400, "image/jpeg")
    with Image.open(io.BytesIO(processed.data)) as result:
        assert (result.format, result.mode, result.size) == ("JPEG", "RGB", (400, 400))
        assert len(result.getexif()) == 0
        assert not {"exif", "comment", "xmp", "icc_profile"} & set(result.info)
        # Turned clockwise: the stored bottom (blue) is now on the left, the top (red) on the right.
        assert _near(result.getpixel((100, 200)), BLUE)
        assert _near(result.getpixel((300, 200)), RED)
    assert b"Home Street" not in processed.data
    assert b"Ann Example" not in processed.data
    assert b"PhoneCo" not in processed.data


def test_the_output_has_no_metadata_segments_at_all() -> None:
    markers = _segment_markers(process_photo(_phone_photo()).data)

    assert 0xE0 in markers  # JFIF: the only application segment
    assert not [
        m for m in markers if 0xE1 <= m <= 0xEF or m == 0xFE
    ]  # APP1–15 (EXIF, XMP, ICC), COM


def test_a_transparent_png_is_laid_on_white() -> None:
    image = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    image.paste((*GREEN, 255), (100, 0, 200, 100))
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Ann Example")

    processed = process_photo(_encoded(image, "PNG", pnginfo=text))

    with Image.open(io.BytesIO(processed.data)) as result:
        assert (result.format, result.mode, result.size) == ("JPEG", "RGB", (400, 400))
        assert _near(result.getpixel((100, 200)), WHITE)
        assert _near(result.getpixel((300, 200)), GREEN)
    assert b"Ann Example" not in processed.data


def test_a_tall_photo_is_cropped_from_the_centre() -> None:
    image = Image.new("RGB", (300, 900), RED)
    image.paste(BLUE, (0, 300, 300, 600))  # only the middle third is blue

    with Image.open(io.BytesIO(process_photo(_encoded(image, "WEBP")).data)) as result:
        assert _near(result.getpixel((200, 5)), BLUE)
        assert _near(result.getpixel((200, 394)), BLUE)


@pytest.mark.parametrize(
    ("mode", "format"),
    [
        ("RGB", "JPEG"),
        ("L", "JPEG"),
        ("CMYK", "JPEG"),
        ("RGB", "PNG"),
        ("1", "PNG"),
        ("L", "PNG"),
        ("LA", "PNG"),
        ("P", "PNG"),
        ("I;16", "PNG"),
        ("RGB", "WEBP"),
        ("RGBA", "WEBP"),
    ],
)
def test_every_accepted_kind_of_image_becomes_a_400_pixel_rgb_jpeg(mode: str, format: str) -> None:
    processed = process_photo(_encoded(Image.new(mode, (640, 480)), format))

    with Image.open(io.BytesIO(processed.data)) as result:
        assert (result.format, result.mode, result.size) == ("JPEG", "RGB", (400, 400))


def test_a_small_photo_is_scaled_up_to_the_fixed_size() -> None:
    processed = process_photo(_encoded(Image.new("RGB", (40, 30), RED), "PNG"))

    assert (processed.width, processed.height) == (400, 400)


@pytest.mark.parametrize(
    "data",
    [
        _encoded(Image.new("RGB", (50, 50), RED), "GIF"),
        _encoded(Image.new("RGB", (50, 50), RED), "BMP"),
        _encoded(Image.new("RGB", (50, 50), RED), "TIFF"),
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"%PDF-1.7\n",
        b"Hello, this is a text file that was named me.jpg",
        b"",
    ],
    ids=["gif", "bmp", "tiff", "svg", "pdf", "text-named-jpg", "empty"],
)
def test_anything_but_jpeg_png_or_webp_is_refused_by_its_content(data: bytes) -> None:
    assert _refusal(data) == NOT_AN_IMAGE


def test_a_truncated_jpeg_is_refused_as_damaged() -> None:
    noise = Image.frombytes("RGB", (300, 300), random.Random(6).randbytes(300 * 300 * 3))
    jpeg = _encoded(noise, "JPEG")

    assert _refusal(jpeg[: len(jpeg) // 2]) == DAMAGED


def test_a_png_with_corrupt_pixel_data_is_refused_as_damaged() -> None:
    assert _refusal(_png_header(300, 300)) == DAMAGED


def test_an_oversized_upload_is_refused_before_it_is_decoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def must_not_open(*args: object, **kwargs: object) -> Image.Image:
        raise AssertionError("an oversized upload reached the decoder")

    monkeypatch.setattr(Image, "open", must_not_open)

    assert _refusal(b"\xff\xd8\xff" + bytes(MAX_BYTES)) == "The photo is larger than 5 MB."


def test_an_upload_of_exactly_the_size_limit_is_accepted() -> None:
    jpeg = _encoded(Image.new("RGB", (100, 100), RED), "JPEG")
    padded = jpeg + bytes(MAX_BYTES - len(jpeg))  # decoders stop at the end-of-image marker

    assert process_photo(padded).width == 400


def _png_header(width: int, height: int) -> bytes:
    """A PNG claiming the given size, with a few bytes of pixel data: a bomb's header, no bomb."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (8_000, 5_001),  # just over our 40-megapixel limit, well under Pillow's own
        (10_000, 10_000),  # over Pillow's warning threshold
        (20_000, 20_000),  # over Pillow's hard limit
        (1, 2_000_000_000),  # a thin sliver is as expensive as a square
    ],
)
def test_a_decompression_bomb_is_refused_from_its_header(width: int, height: int) -> None:
    assert _refusal(_png_header(width, height)) == TOO_MANY_PIXELS


def test_a_bomb_is_refused_where_pillow_only_warns() -> None:
    # In production Pillow's warning is a warning, not an exception; our own limit still applies.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        assert _refusal(_png_header(10_000, 10_000)) == TOO_MANY_PIXELS


def test_an_image_at_the_pixel_limit_is_decoded() -> None:
    # 8000 × 5000 is exactly 40 megapixels: not refused for size, so the bogus pixel data is read.
    assert _refusal(_png_header(8_000, 5_000)) == DAMAGED
