"""How the conformance suite talks to each registered provider through its real SDK client.

One `Driver` per provider name in the registry (a provider without one fails the suite):
a client made with no cloud credentials and an endpoint nobody answers, one served call,
one call the local model does not serve, and the error types the SDK itself uses.
"""

from __future__ import annotations

import ast
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OFFLINE_ENDPOINT = "http://127.0.0.1:9"  # the discard port: nothing answers there


@dataclass(frozen=True)
class Driver:
    client: Callable[[], Any]  # a real client: no credentials, no reachable endpoint
    # (SDK callable, args, kwargs) of one label request: submitted as is to an executor
    request: Callable[[Any, bytes], tuple[Callable[..., Any], tuple, dict]]
    labels: Callable[[Any], list[tuple[str, float]]]  # (name, score) pairs of a served answer
    # The SDK's error for unusable image bytes: raised, or returned per image (Google)
    bad_image: Callable[[Any, bytes], BaseException | Any]
    error_type: Callable[[Any], type]  # the SDK's own type of that error (given the client)
    unserved: Callable[[Any], Any]  # a request the local model does not serve
    refusal_text: Callable[[Any], str]  # the message of what `unserved` raised or returned
    unreachable: Callable[[], type[BaseException]]  # what the SDK raises when the endpoint is down


def _raised(call: Callable[[], Any]) -> BaseException | Any:
    try:
        return call()
    except Exception as exc:  # the SDK's own error, returned to be inspected
        return exc


# ----------------------------------------------------------------- Google Cloud Vision
def _google_client():
    from google.cloud import vision

    return vision.ImageAnnotatorClient(client_options={"api_endpoint": "127.0.0.1:9"})


def _google_request(client, data: bytes):
    from google.cloud import vision

    return client.label_detection, (), {"image": vision.Image(content=data)}


def _google_unserved(client):
    from google.cloud import vision

    return client.face_detection(image=vision.Image(content=b"\x89PNG"), retry=None, timeout=5)


def _google_unreachable():
    from google.api_core.exceptions import ServiceUnavailable

    return ServiceUnavailable


def _google_error_type(client):
    from google.rpc.status_pb2 import Status

    return Status


GOOGLE = Driver(
    client=_google_client,
    request=_google_request,
    labels=lambda response: [(a.description, a.score) for a in response.label_annotations],
    bad_image=lambda client, data: client.label_detection(image={"content": data}).error,
    error_type=_google_error_type,
    unserved=_google_unserved,
    refusal_text=lambda outcome: outcome.error.message,
    unreachable=_google_unreachable,
)


# ----------------------------------------------------------------- Azure Computer Vision
def _cv_client():
    from azure.cognitiveservices.vision.computervision import ComputerVisionClient
    from msrest.authentication import CognitiveServicesCredentials

    client = ComputerVisionClient(OFFLINE_ENDPOINT, CognitiveServicesCredentials("any-key"))
    client.config.retry_policy.retries = 0
    return client


def _cv_error_type(client):
    from azure.cognitiveservices.vision.computervision.models import ComputerVisionErrorResponseException

    return ComputerVisionErrorResponseException


def _cv_unreachable():
    from msrest.exceptions import ClientRequestError

    return ClientRequestError


AZURE_CV = Driver(
    client=_cv_client,
    request=lambda client, data: (client.tag_image_in_stream, (io.BytesIO(data),), {}),
    labels=lambda result: [(t.name, t.confidence) for t in result.tags],
    bad_image=lambda client, data: _raised(lambda: client.tag_image_in_stream(io.BytesIO(data))),
    error_type=_cv_error_type,
    unserved=lambda client: _raised(
        lambda: client.analyze_image_in_stream(io.BytesIO(b"\x89PNG"), visual_features=["Faces"])
    ),
    refusal_text=lambda exc: exc.error.error.message,
    unreachable=_cv_unreachable,
)


# ----------------------------------------------------------------- Azure Image Analysis
def _ia_client():
    from azure.ai.vision.imageanalysis import ImageAnalysisClient
    from azure.core.credentials import AzureKeyCredential

    return ImageAnalysisClient(endpoint=OFFLINE_ENDPOINT, credential=AzureKeyCredential("any-key"))


def _ia_features(*names: str) -> list:
    from azure.ai.vision.imageanalysis.models import VisualFeatures

    return [VisualFeatures[name] for name in names]


def _ia_error_type(client):
    from azure.core.exceptions import HttpResponseError

    return HttpResponseError


def _ia_unreachable():
    from azure.core.exceptions import ServiceRequestError

    return ServiceRequestError


AZURE_IA = Driver(
    client=_ia_client,
    request=lambda client, data: (client.analyze, (data, _ia_features("TAGS")), {}),
    labels=lambda result: [(t.name, t.confidence) for t in result.tags.list],
    bad_image=lambda client, data: _raised(lambda: client.analyze(data, _ia_features("TAGS"))),
    error_type=_ia_error_type,
    unserved=lambda client: _raised(lambda: client.analyze(b"\x89PNG", _ia_features("CAPTION"), retry_total=0)),
    refusal_text=lambda exc: exc.error.message,
    unreachable=_ia_unreachable,
)


# ----------------------------------------------------------------- Amazon Rekognition
def _aws_client():
    import boto3
    from botocore.config import Config

    return boto3.client(
        "rekognition", region_name="us-east-1", endpoint_url=OFFLINE_ENDPOINT, config=Config(retries={"max_attempts": 1})
    )


def _aws_unserved(client):
    return _raised(lambda: client.detect_faces(Image={"Bytes": b"\x89PNG"}))


def _aws_unreachable():
    from botocore.exceptions import EndpointConnectionError

    return EndpointConnectionError


AWS = Driver(
    client=_aws_client,
    request=lambda client, data: (client.detect_labels, (), {"Image": {"Bytes": data}}),
    labels=lambda response: [(label["Name"], label["Confidence"]) for label in response["Labels"]],
    bad_image=lambda client, data: _raised(lambda: client.detect_labels(Image={"Bytes": data})),
    error_type=lambda client: client.exceptions.InvalidImageFormatException,
    unserved=_aws_unserved,
    refusal_text=lambda exc: exc.response["Error"]["Message"],
    unreachable=_aws_unreachable,
)


DRIVERS: dict[str, Driver] = {"google": GOOGLE, "azure_cv": AZURE_CV, "azure_ia": AZURE_IA, "aws": AWS}



def bootstrap_packages() -> tuple[str, ...]:
    """`chameleonapi.bootstrap.SDK_PACKAGES`, read without importing the module.

    Importing it installs its import hook in this process, which would enable chameleonapi
    on the next SDK import and leave it enabled for the tests that follow.
    """
    import importlib.util

    source = Path(importlib.util.find_spec("chameleonapi.bootstrap").origin).read_text()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "SDK_PACKAGES" for t in node.targets):
            return tuple(ast.literal_eval(node.value))
    raise AssertionError("chameleonapi.bootstrap defines no SDK_PACKAGES")
