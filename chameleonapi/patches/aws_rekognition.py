"""Where botocore is hooked: every client's `_make_api_call`, and `Session.create_client`.

`BaseClient._make_api_call` is the one method every generated client method
(`client.detect_labels(...)`) ends in, before any endpoint, signing or credential work, so
one class-level patch covers clients made before `enable()` and answers without
credentials. Only Rekognition's `DetectLabels` is answered; other Rekognition operations get
the service's `AccessDeniedException` naming what is not served (or go to the service with
CHAMELEONAPI_PASSTHROUGH=1); other services are untouched.

`Session.create_client("rekognition")` is wrapped so that, when no credentials can be found
without the network, the client is made unsigned instead of querying the EC2/container
metadata endpoints.
"""

from __future__ import annotations

import inspect

from chameleonapi import config
from chameleonapi.errors import ServiceError
from chameleonapi.patches.base import Patch
from chameleonapi.services.aws_rekognition import codec
from chameleonapi.services.aws_rekognition.descriptor import DESCRIPTOR, POLICY, SERVICE

__all__ = ["patches", "serve_detect_labels"]

METHOD = "detect_labels"
NETWORK_PROVIDERS = ("container-role", "iam-role")  # botocore's credential providers that call endpoints


def _raise(client, operation: str, error: ServiceError):
    """Raise `error` as the client's own exception class (modeled codes get their subclass)."""
    cls = client.exceptions.from_code(error.code)
    raise cls(codec.error_response(error), operation) from None


def serve_detect_labels(params: dict) -> dict:
    """Answer a DetectLabels request from the local model (raises ServiceError)."""
    from chameleonapi import runtime
    from chameleonapi.imaging import ImageInputError, decode_image

    request = codec.read_request(params)
    try:
        image = decode_image(request.image, POLICY).image
    except ImageInputError as exc:
        error = codec.image_error(exc)
        runtime.record_errors(DESCRIPTOR.name, METHOD, [error.message])
        raise error from None
    # Every label in score order: MinConfidence and the label filters cut after ranking. Labels
    # under MinConfidence are never reported, unless a detected instance raises their confidence.
    site = runtime.find_call_site()
    objects = _wants_instances(site)
    floor = None if objects else request.min_confidence / DESCRIPTOR.score_scale - 1e-9
    labels = runtime.serve_labels([image], provider=DESCRIPTOR.name, method=METHOD, max_results=None,
                                  min_score=floor, site=site)[0]
    from chameleonapi.model.ancestry import parents_of

    return codec.labels_response(labels, request, _instances(image) if objects else [], parents_of)


def _wants_instances(site) -> bool:
    """Does this call (from `site`) report `Instances`? Only when the application's decision
    names an object class or decides on objects (the detector costs several times the
    labeler), never for the built-in silhouettes, and only with the detector's weights installed."""
    from chameleonapi import runtime
    from chameleonapi.detection.policy import objects_available, uses_silhouettes

    return not uses_silhouettes() and runtime.decision_names_objects(site) and objects_available()


def _instances(image) -> list:
    """The photo detector's objects, which Rekognition reports as `Instances` of their labels
    (none when the detector cannot answer)."""
    from chameleonapi import runtime
    from chameleonapi.detection.policy import DetectorUnavailable

    try:
        return runtime.serve_objects([image], provider=DESCRIPTOR.name, method=METHOD)[0]
    except DetectorUnavailable:
        return []


def _make_api_call(wrapped, instance, args, kwargs):
    if instance.meta.service_model.service_name != SERVICE:
        return wrapped(*args, **kwargs)
    operation, params = _operation_and_params(*args, **kwargs)
    try:
        if operation not in DESCRIPTOR.operations:
            raise codec.not_served(f"Operation {operation}")
        if instance.meta.config.parameter_validation:
            from botocore.validate import validate_parameters

            model = instance.meta.service_model.operation_model(operation)
            validate_parameters(params, model.input_shape)
        return serve_detect_labels(params)
    except ServiceError as error:
        if error.refused and config.passthrough():
            return wrapped(*args, **kwargs)
        _raise(instance, operation, error)


def _operation_and_params(operation_name, api_params):
    return operation_name, dict(api_params or {})


_create_signature: list[inspect.Signature] = []


def _create_client(wrapped, instance, args, kwargs):
    """A Rekognition client that needs no credentials: unsigned when none are found offline."""
    if not _create_signature:
        _create_signature.append(inspect.signature(wrapped))
    try:
        bound = _create_signature[0].bind(*args, **kwargs)
    except TypeError:
        return wrapped(*args, **kwargs)  # let botocore say what is wrong
    arguments = bound.arguments
    if arguments.get("service_name") != SERVICE or config.passthrough():
        return wrapped(*args, **kwargs)
    if arguments.get("aws_access_key_id") is not None or arguments.get("aws_secret_access_key") is not None:
        return wrapped(*args, **kwargs)
    from botocore import UNSIGNED
    from botocore.config import Config

    client_config = arguments.get("config")
    if client_config is not None and client_config.signature_version is UNSIGNED:
        return wrapped(*args, **kwargs)
    if _offline_credentials(instance):
        return wrapped(*args, **kwargs)
    unsigned = Config(signature_version=UNSIGNED)
    arguments["config"] = client_config.merge(unsigned) if client_config is not None else unsigned
    return wrapped(*bound.args, **bound.kwargs)


def _offline_credentials(session) -> bool:
    """Whether the session has credentials that need no network to find (found ones are kept)."""
    if getattr(session, "_credentials", None) is not None:
        return True
    try:
        resolver = session.get_component("credential_provider")
        providers = list(resolver.providers)
    except Exception:
        return True  # an unusual session: let botocore resolve as it always does
    for provider in providers:
        if getattr(provider, "METHOD", "") in NETWORK_PROVIDERS:
            continue
        try:
            credentials = provider.load()
        except Exception:
            return True  # a broken profile: botocore reports it as it would
        if credentials is not None:
            if hasattr(session, "_credentials"):
                session._credentials = credentials  # what Session.get_credentials would cache
            return True
    return False


def patches() -> list[Patch]:
    return [
        Patch("botocore.session", "Session.create_client", _create_client),
        Patch("botocore.client", "BaseClient._make_api_call", _make_api_call),
    ]
