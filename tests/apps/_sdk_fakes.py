"""Patch the real SDK clients to answer with chosen labels, as the services would.

Each fake builds the SDK's own response objects and applies what the real service applies
server-side (Google's max_results, default 10; Rekognition's MaxLabels and MinConfidence,
default 55), so a test exercises the application's code exactly as in production.
"""

from __future__ import annotations

import contextlib
import struct
from unittest import mock

GOOGLE_DEFAULT_K = 10


def f32(x: float) -> float:
    """Google scores travel as float32."""
    return struct.unpack("f", struct.pack("f", x))[0]


CURRENT: dict[str, list[tuple[str, float]]] = {"labels": []}


def set_labels(labels) -> None:
    """What the patched service answers from now on: (text, score in [0, 1]) pairs."""
    CURRENT["labels"] = list(labels)


def ranked():
    return sorted(CURRENT["labels"], key=lambda ls: -ls[1])


def above_floor(provider: str):
    """Tags the service reports: Azure leaves out those under its confidence floor."""
    from chameleonapi import patches, services

    floor = services.min_score(provider) or 0.0
    return [(t, s) for t, s in ranked() if s >= floor]


@contextlib.contextmanager
def google():
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import vision

    def batch(self, request=None, *, requests=None, **kwargs):
        reqs = requests if requests is not None else (request.requests if request is not None else [])
        responses = []
        for req in reqs:
            req = vision.AnnotateImageRequest(req) if isinstance(req, dict) else req
            resp = vision.AnnotateImageResponse()
            for feature in req.features:
                k = feature.max_results or GOOGLE_DEFAULT_K
                top = ranked()[:k]
                if feature.type_ == vision.Feature.Type.LABEL_DETECTION:
                    resp.label_annotations = [vision.EntityAnnotation(description=t, score=s) for t, s in top]
                elif feature.type_ == vision.Feature.Type.OBJECT_LOCALIZATION:
                    resp.localized_object_annotations = [
                        vision.LocalizedObjectAnnotation(name=t, score=s) for t, s in top
                    ]
            responses.append(resp)
        return vision.BatchAnnotateImagesResponse(responses=responses)

    with mock.patch("google.auth.default", return_value=(AnonymousCredentials(), "test")), mock.patch.object(
        vision.ImageAnnotatorClient, "batch_annotate_images", batch
    ):
        yield


@contextlib.contextmanager
def azure_cv():
    from azure.cognitiveservices.vision.computervision import ComputerVisionClient
    from azure.cognitiveservices.vision.computervision.models import (
        DetectResult,
        ImageAnalysis,
        ImageTag,
        TagResult,
    )

    def tags():
        return [ImageTag(name=t, confidence=s) for t, s in above_floor("azure_cv")]

    def tag_image(self, *args, **kwargs):
        return TagResult(tags=tags())

    def analyze_image(self, *args, **kwargs):
        return ImageAnalysis(tags=tags())

    def detect_objects(self, *args, **kwargs):
        objects = [
            {"object": t, "confidence": s, "rectangle": {"x": 0, "y": 0, "w": 1, "h": 1}} for t, s in ranked()
        ]
        return DetectResult.deserialize({"objects": objects})

    patches = {
        "tag_image": tag_image,
        "tag_image_in_stream": tag_image,
        "analyze_image": analyze_image,
        "analyze_image_in_stream": analyze_image,
        "detect_objects": detect_objects,
        "detect_objects_in_stream": detect_objects,
    }
    with contextlib.ExitStack() as stack:
        for name, fake in patches.items():
            stack.enter_context(mock.patch.object(ComputerVisionClient, name, fake))
        yield


@contextlib.contextmanager
def azure_ia():
    from azure.ai.vision.imageanalysis import ImageAnalysisClient
    from azure.ai.vision.imageanalysis.models import ImageAnalysisResult

    def analyze(self, *args, **kwargs):
        values = [{"name": t, "confidence": s} for t, s in above_floor("azure_ia")]
        return ImageAnalysisResult(
            {"modelVersion": "2023-10-01", "metadata": {"width": 1, "height": 1}, "tagsResult": {"values": values}}
        )

    with mock.patch.object(ImageAnalysisClient, "analyze", analyze), mock.patch.object(
        ImageAnalysisClient, "analyze_from_url", analyze
    ):
        yield


@contextlib.contextmanager
def aws():
    """A real Rekognition client behind botocore's Stubber; the answer follows the request."""
    import boto3
    from botocore.stub import Stubber

    real_client = boto3.client
    client = real_client("rekognition", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)

    def answer(params, **kwargs):
        floor = params.get("MinConfidence", 55.0)
        top = [(t, s * 100.0) for t, s in ranked() if s * 100.0 >= floor]
        if "MaxLabels" in params:
            top = top[: params["MaxLabels"]]
        response = {"Labels": [{"Name": t, "Confidence": c} for t, c in top]}
        stubber.add_response("detect_labels", response, None)

    client.meta.events.register("provide-client-params.rekognition.DetectLabels", answer)

    def fake_client(service, *args, **kwargs):
        return client if service == "rekognition" else real_client(service, *args, **kwargs)

    with mock.patch("boto3.client", fake_client), stubber:
        yield


FAKES = {"google": google, "azure_cv": azure_cv, "azure_ia": azure_ia, "aws": aws}
