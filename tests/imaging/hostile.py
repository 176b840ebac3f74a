"""A corpus of hostile images, generated in memory (nothing is stored in the repository).

Each entry is encoded bytes an attacker or a careless caller could send: decompression
bombs, truncated files, huge and degenerate sizes, unusual modes, formats the services
refuse, and non-images. Shared by the reliability tests and `benchmarks/hostile.py`.
"""

from __future__ import annotations

import io
import random
import struct
import zlib
from functools import cache

__all__ = ["EPS", "PROVIDERS", "SVG", "call", "corpus", "google_batch", "ico_hiding", "png_chunk", "png_declaring", "url_calls"]

EPS = (
    b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 64 64\n%%EndComments\n"
    b"newpath 0 0 moveto 64 64 lineto stroke\nshowpage\n%%EOF\n"
)
SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
    b'<rect width="64" height="64" fill="red"/></svg>\n'
)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_declaring(width: int, height: int, rows: int | None = None, value: int = 0, level: int = 9) -> bytes:
    """An 8-bit grayscale PNG of `width` x `height` whose pixels are all `value`.

    With `rows` set, only that many rows are encoded (the file still declares the full size);
    without it the whole image is encoded: a 30000 x 30000 bomb is then about 900 KB.
    """
    row = b"\x00" + bytes([value]) * width
    packer = zlib.compressobj(level)
    total = height if rows is None else min(rows, height)
    block = row * max(1, min(total, (1 << 22) // len(row)))
    rows_per_block = len(block) // len(row)
    parts, done = [], 0
    while done + rows_per_block <= total:
        parts.append(packer.compress(block))
        done += rows_per_block
    parts.append(packer.compress(row * (total - done)))
    parts.append(packer.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", b"".join(parts))
        + png_chunk(b"IEND", b"")
    )


def ico_hiding(png: bytes) -> bytes:
    """An ICO whose directory declares 64x64 but whose frame is `png`, of any size."""
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", 64, 64, 0, 0, 1, 32, len(png), 6 + 16)
    return header + entry + png


def _save(image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _photo_rgb(size: int = 96):
    """A real photograph (scikit-image's cat), scaled to `size` px on the short side."""
    import skimage.data
    from PIL import Image

    image = Image.fromarray(skimage.data.chelsea())
    return image.resize((size * image.width // image.height, size), Image.Resampling.BICUBIC)


@cache
def corpus(full_bomb: bool = False) -> dict[str, bytes]:
    """name -> encoded bytes. `full_bomb` encodes all 900M pixels of the bomb (slow to build)."""
    from PIL import Image

    photo = _photo_rgb()
    jpeg = _save(photo, "JPEG", quality=90)
    frames = [photo, photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    palette = photo.convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    palette.info["transparency"] = 0
    gray16 = Image.fromarray(
        (__import__("numpy").asarray(photo.convert("L"), dtype="uint16") * 257).astype("uint16")
    )
    return {
        "photo_jpeg": jpeg,
        "bomb_png_30000x30000": png_declaring(30000, 30000, None if full_bomb else 64),
        "truncated_jpeg": jpeg[: len(jpeg) // 2],
        "huge_png_12000x12000": png_declaring(12000, 12000, value=128, level=1),
        "one_pixel_png": _save(Image.new("RGB", (1, 1), (200, 30, 40)), "PNG"),
        "thin_png_1x60000": png_declaring(1, 60000, value=90),
        "cmyk_jpeg": _save(photo.convert("CMYK"), "JPEG"),
        "gray16_png": _save(gray16, "PNG"),
        "palette_alpha_png": _save(palette, "PNG"),
        "rgba_png": _save(photo.convert("RGBA"), "PNG"),
        "animated_gif": _save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0),
        "bmp": _save(photo, "BMP"),
        "tiff": _save(photo, "TIFF"),
        "webp": _save(photo, "WEBP"),
        "ico": _save(photo.crop((0, 0, photo.height, photo.height)), "ICO", sizes=[(64, 64)]),
        "ico_hiding_a_huge_png": ico_hiding(png_declaring(20000, 20000, rows=8)),
        "eps": EPS,
        "svg_text": SVG,
        "random_bytes": random.Random(14).randbytes(4096),
        "empty": b"",
    }


# ----------------------------------------------------------------- calls through each SDK
OFFLINE_ENDPOINT = "http://127.0.0.1:9"  # the discard port: nothing answers there
PROVIDERS = ("google", "azure_cv", "azure_ia")


def google_batch(images: list[bytes]) -> list[tuple]:
    """One sync `batch_annotate_images` over all `images`; an outcome per image."""
    from google.cloud import vision

    client = vision.ImageAnnotatorClient(client_options={"api_endpoint": "127.0.0.1:9"})
    label = {"type_": vision.Feature.Type.LABEL_DETECTION, "max_results": 5}
    batch = client.batch_annotate_images(requests=[{"image": {"content": d}, "features": [label]} for d in images])
    outcomes = []
    for response in batch.responses:
        if response.error.code:
            outcomes.append(("error", "google.rpc.Status", response.error.code, response.error.message))
        else:
            outcomes.append(("answer", tuple((a.description, round(a.score, 6)) for a in response.label_annotations)))
    return outcomes


def _unexpected(exc: BaseException) -> tuple:
    return ("unexpected", type(exc).__module__ + "." + type(exc).__qualname__, str(exc)[:200])


def azure_cv(data) -> tuple:
    """`tag_image_in_stream` on `data` (bytes, or any stream-like object)."""
    from azure.cognitiveservices.vision.computervision import ComputerVisionClient
    from azure.cognitiveservices.vision.computervision.models import ComputerVisionErrorResponseException
    from msrest.authentication import CognitiveServicesCredentials

    client = ComputerVisionClient(OFFLINE_ENDPOINT, CognitiveServicesCredentials("any-key"))
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    try:
        result = client.tag_image_in_stream(stream)
    except ComputerVisionErrorResponseException as exc:
        if type(exc) is not ComputerVisionErrorResponseException:
            return _unexpected(exc)
        inner = exc.error.error.innererror
        return ("error", "ComputerVisionErrorResponseException", inner.code if inner else exc.error.error.code,
                exc.error.error.message)
    except Exception as exc:  # noqa: BLE001 - anything else is what the tests look for
        return _unexpected(exc)
    return ("answer", tuple((t.name, round(t.confidence, 6)) for t in result.tags))


def azure_ia(data) -> tuple:
    """Image Analysis `analyze(data, [TAGS])`."""
    from azure.ai.vision.imageanalysis import ImageAnalysisClient
    from azure.ai.vision.imageanalysis.models import VisualFeatures
    from azure.core.credentials import AzureKeyCredential
    from azure.core.exceptions import HttpResponseError

    client = ImageAnalysisClient(endpoint=OFFLINE_ENDPOINT, credential=AzureKeyCredential("any-key"))
    try:
        result = client.analyze(data, [VisualFeatures.TAGS])
    except HttpResponseError as exc:
        if type(exc) is not HttpResponseError:
            return _unexpected(exc)
        return ("error", "HttpResponseError", exc.status_code, exc.error.innererror["code"], exc.error.message)
    except Exception as exc:  # noqa: BLE001
        return _unexpected(exc)
    return ("answer", tuple((t.name, round(t.confidence, 6)) for t in result.tags.list))


def call(provider: str, data: bytes) -> tuple:
    """One call of `provider` on one image; its outcome (answer or the SDK's error)."""
    if provider == "google":
        try:
            return google_batch([data])[0]
        except Exception as exc:  # noqa: BLE001
            return _unexpected(exc)
    return azure_cv(data) if provider == "azure_cv" else azure_ia(data)


def url_calls() -> dict:
    """The URL-taking calls of every provider: uri -> "answer" or (code, message)."""
    from azure.ai.vision.imageanalysis import ImageAnalysisClient
    from azure.ai.vision.imageanalysis.models import VisualFeatures
    from azure.cognitiveservices.vision.computervision import ComputerVisionClient
    from azure.cognitiveservices.vision.computervision.models import ComputerVisionErrorResponseException
    from azure.core.credentials import AzureKeyCredential
    from azure.core.exceptions import HttpResponseError
    from google.cloud import vision
    from msrest.authentication import CognitiveServicesCredentials

    cv = ComputerVisionClient(OFFLINE_ENDPOINT, CognitiveServicesCredentials("k"))
    ia = ImageAnalysisClient(endpoint=OFFLINE_ENDPOINT, credential=AzureKeyCredential("k"))

    def google(uri):
        response = vision.ImageAnnotatorClient().label_detection(
            image=vision.Image(source=vision.ImageSource(image_uri=uri))
        )
        return (response.error.code, response.error.message) if response.error.code else "answer"

    def azure(method):
        def run(uri):
            try:
                method(uri)
            except ComputerVisionErrorResponseException as exc:
                return (exc.error.error.innererror.code, exc.error.error.message)
            except HttpResponseError as exc:
                return (exc.error.innererror["code"], exc.error.message)
            return "answer"

        return run

    return {
        "google.image_uri": google,
        "cv.tag_image": azure(cv.tag_image),
        "cv.analyze_image": azure(lambda u: cv.analyze_image(u, visual_features=["Tags"])),
        "cv.detect_objects": azure(cv.detect_objects),
        "ia.analyze_from_url": azure(lambda u: ia.analyze_from_url(u, [VisualFeatures.TAGS])),
    }
