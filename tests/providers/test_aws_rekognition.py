"""Amazon Rekognition through a real boto3 client: DetectLabels answered locally, offline."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

boto3 = pytest.importorskip("boto3")
import botocore.client  # noqa: E402
import botocore.session  # noqa: E402
from botocore.exceptions import ClientError, NoRegionError, ParamValidationError  # noqa: E402
from botocore.stub import Stubber  # noqa: E402
from botocore.validate import validate_parameters  # noqa: E402

import chameleonapi  # noqa: E402
from chameleonapi import runtime  # noqa: E402
from chameleonapi.patches import get_instrumentor  # noqa: E402
from tests.images import CORRUPT, photo  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CHELSEA = (ROOT / "chameleonapi" / "examples" / "images" / "chelsea.jpg").read_bytes()
ENV = {k: v for k, v in os.environ.items() if not k.startswith(("CHAMELEONAPI_", "AWS_"))}
ENV["CHAMELEONAPI_HOME"] = os.environ["CHAMELEONAPI_HOME"]
ENV["CHAMELEONAPI_THREADS"] = "1"


@pytest.fixture
def no_aws_credentials(monkeypatch, tmp_path):
    """No AWS credentials or config anywhere (the metadata endpoints are refused by no_sockets)."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "missing-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "missing-config"))
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)


@pytest.fixture
def aws(no_aws_credentials, no_sockets):
    chameleonapi.enable(["aws"])
    yield
    chameleonapi.disable()


def rekognition():
    return boto3.client("rekognition", region_name="us-east-1")


def test_chelsea_gets_cat_without_credentials_or_network(aws):
    client = rekognition()
    response = client.detect_labels(Image={"Bytes": CHELSEA})
    labels = response["Labels"]
    names = [label["Name"] for label in labels]
    assert "Cat" in names
    confidences = [label["Confidence"] for label in labels]
    assert all(55.0 <= c <= 100.0 for c in confidences)  # the service's default MinConfidence
    assert confidences == sorted(confidences, reverse=True)
    cat = labels[names.index("Cat")]
    assert {"Animal", "Mammal"} <= {parent["Name"] for parent in cat["Parents"]}
    assert all(label["Name"][:1].isupper() for label in labels)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    validate_parameters(body, client.meta.service_model.operation_model("DetectLabels").output_shape)


def test_max_labels_and_min_confidence_are_honoured(aws):
    client = rekognition()
    everything = client.detect_labels(Image={"Bytes": CHELSEA}, MinConfidence=0)["Labels"]
    top = client.detect_labels(Image={"Bytes": CHELSEA}, MaxLabels=3, MinConfidence=0)["Labels"]
    assert [label["Name"] for label in top] == [label["Name"] for label in everything[:3]]
    cut = everything[5]["Confidence"]
    above = client.detect_labels(Image={"Bytes": CHELSEA}, MinConfidence=cut)["Labels"]
    assert above and all(label["Confidence"] >= cut for label in above)
    assert len(above) < len(everything)
    assert client.detect_labels(Image={"Bytes": CHELSEA}, MaxLabels=0)["Labels"] == []
    only = client.detect_labels(
        Image={"Bytes": CHELSEA}, Settings={"GeneralLabels": {"LabelInclusionFilters": ["Cat"]}}
    )["Labels"]
    assert [label["Name"] for label in only] == ["Cat"]


def test_bad_images_raise_the_services_modeled_errors(aws):
    client = rekognition()
    with pytest.raises(client.exceptions.InvalidImageFormatException) as info:
        client.detect_labels(Image={"Bytes": CORRUPT})
    assert info.value.response["Error"]["Code"] == "InvalidImageFormatException"
    assert info.value.operation_name == "DetectLabels"
    with pytest.raises(client.exceptions.InvalidImageFormatException):
        client.detect_labels(Image={"Bytes": photo("chelsea", "GIF")})  # Rekognition reads JPEG and PNG only
    with pytest.raises(client.exceptions.ImageTooLargeException):
        client.detect_labels(Image={"Bytes": CHELSEA + b"\0" * (5 * 1024 * 1024)})
    with pytest.raises(client.exceptions.InvalidParameterException):
        client.detect_labels(Image={"Bytes": photo("chelsea")}, MinConfidence=101)
    with pytest.raises(ParamValidationError):  # checked by botocore before any request, as always
        client.detect_labels(Image={"Bytes": CHELSEA}, MaxLabels=-1)


def test_s3_objects_cannot_be_read_locally(aws):
    client = rekognition()
    with pytest.raises(client.exceptions.InvalidS3ObjectException) as info:
        client.detect_labels(Image={"S3Object": {"Bucket": "my-bucket", "Name": "cat.jpg"}})
    message = info.value.response["Error"]["Message"]
    assert "s3://my-bucket/cat.jpg" in message and "CHAMELEONAPI_PASSTHROUGH" in message


def test_other_operations_and_services_are_left_alone(aws, monkeypatch):
    client = rekognition()
    with pytest.raises(client.exceptions.AccessDeniedException, match="DetectFaces"):
        client.detect_faces(Image={"Bytes": CHELSEA})
    keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    s3 = boto3.client("s3", region_name="us-east-1", **keys)
    with Stubber(s3) as stub:  # botocore's own stub answers where the real service would
        stub.add_response("list_buckets", {"Buckets": [{"Name": "kept"}]})
        assert s3.list_buckets()["Buckets"][0]["Name"] == "kept"
    monkeypatch.setenv("CHAMELEONAPI_PASSTHROUGH", "1")
    client = boto3.client("rekognition", region_name="us-east-1", **keys)
    with Stubber(client) as stub:
        stub.add_response("detect_faces", {"FaceDetails": []})
        stub.add_response("detect_labels", {"Labels": [{"Name": "Remote"}]})
        assert client.detect_faces(Image={"Bytes": CHELSEA})["FaceDetails"] == []
        remote = client.detect_labels(Image={"S3Object": {"Bucket": "my-bucket", "Name": "cat.jpg"}})
        assert remote["Labels"][0]["Name"] == "Remote"


def test_a_client_needs_a_region_as_boto3_always_did(aws):
    with pytest.raises(NoRegionError):
        boto3.client("rekognition")


def test_clients_made_before_enable_are_served_and_disable_restores(no_aws_credentials, no_sockets):
    keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    early = boto3.client("rekognition", region_name="us-east-1", **keys)
    originals = (
        vars(botocore.client.BaseClient)["_make_api_call"],
        vars(botocore.session.Session)["create_client"],
    )
    try:
        chameleonapi.enable(["aws"])
        chameleonapi.enable(["aws"])  # idempotent: one wrapper, not two
        wrapper = vars(botocore.client.BaseClient)["_make_api_call"]
        assert wrapper is not originals[0] and wrapper.__wrapped__ is originals[0]
        with pytest.raises(early.exceptions.InvalidImageFormatException):
            early.detect_labels(Image={"Bytes": CORRUPT})
    finally:
        chameleonapi.disable()
    assert vars(botocore.client.BaseClient)["_make_api_call"] is originals[0]
    assert vars(botocore.session.Session)["create_client"] is originals[1]
    assert not get_instrumentor("aws").is_patched("botocore.client", "BaseClient._make_api_call")
    chameleonapi.disable()  # idempotent


def test_import_after_enable_is_patched_on_import():
    code = """
        import chameleonapi
        chameleonapi.enable(["aws"])
        import boto3
        client = boto3.client("rekognition", region_name="us-east-1")
        try:
            client.detect_labels(Image={"Bytes": b"not an image"})
        except client.exceptions.InvalidImageFormatException as exc:
            print("refused", exc.response["Error"]["Code"])
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**ENV, "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
             "AWS_EC2_METADATA_DISABLED": "true"},
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "refused InvalidImageFormatException" in result.stdout


def test_env_var_serves_an_unchanged_boto3_app(tmp_path):
    app = tmp_path / "app.py"
    app.write_text(
        textwrap.dedent(
            """
            import sys
            import boto3
            client = boto3.client("rekognition", region_name="us-east-1")
            with open(sys.argv[1], "rb") as f:
                response = client.detect_labels(Image={"Bytes": f.read()}, MaxLabels=20)
            print([(label["Name"], round(label["Confidence"], 1)) for label in response["Labels"]])
            try:
                client.detect_labels(Image={"Bytes": b"corrupt"})
            except client.exceptions.InvalidImageFormatException:
                print("InvalidImageFormatException")
            """
        )
    )
    image = tmp_path / "cat.jpg"
    image.write_bytes(CHELSEA)
    result = subprocess.run(
        [sys.executable, str(app), str(image)],
        env={**ENV, "CHAMELEONAPI": "1", "CHAMELEONAPI_TRAIN": "never",
             "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
             "AWS_EC2_METADATA_DISABLED": "true"},
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "('Cat', " in result.stdout
    assert "InvalidImageFormatException" in result.stdout


def test_the_analysis_names_the_call_the_runtime_serves(aws, monkeypatch):
    from chameleonapi.analysis import analyze

    monkeypatch.setenv("CHAMELEONAPI_DATA", "builtin")  # customization data is configured

    path = ROOT / "tests" / "apps" / "aws_conf_threshold.py"
    (spec,) = [s for s in analyze(str(path)) if s.call is not None]
    module_spec = importlib.util.spec_from_file_location("aws_conf_threshold_app", path)
    app = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(app)
    served: list[runtime.ServedCall] = []
    runtime.add_listener(served.append)
    try:
        assert app.animal(CHELSEA) == "cat"
    finally:
        runtime.remove_listener(served.append)
    (call,) = served
    assert (call.provider, call.method) == (spec.provider, spec.method)
    assert os.path.realpath(call.call_site.file) == os.path.realpath(spec.call.file)
    assert call.call_site.line == spec.call.line
    assert any(name == "Cat" for name, _ in call.labels[0])
    from chameleonapi.serving.labels import LABELS

    assert LABELS.plan(call.call_site, call.provider) == spec  # what the first call would customize for


def test_errors_are_client_errors_for_generic_handlers(aws):
    client = rekognition()
    with pytest.raises(ClientError) as info:
        client.detect_labels(Image={"Bytes": b""})
    assert info.value.response["Error"]["Code"] in ("InvalidImageFormatException", "InvalidParameterException")


def test_each_name_is_reported_once_with_its_ancestors():
    from chameleonapi.model.ancestry import parents_of
    from chameleonapi.services.aws_rekognition.codec import DetectLabelsRequest, labels_response

    labels = [("Golden retriever", 0.9), ("Golden Retriever", 0.8), ("Dog", 0.7), ("Not a label", 0.6)]
    response = labels_response(labels, DetectLabelsRequest(image=b""), parents_of=parents_of)
    assert [(label["Name"], label["Confidence"]) for label in response["Labels"]] == [
        ("Golden Retriever", 90.0), ("Dog", 70.0), ("Not A Label", 60.0)
    ]
    golden, dog, unknown = (label["Parents"] for label in response["Labels"])
    assert {"Name": "Dog"} in golden and {"Name": "Animal"} in dog and unknown == []


def test_botocore_outside_the_supported_range_is_left_alone(monkeypatch, caplog):
    from chameleonapi.patches import base

    monkeypatch.setattr(base, "installed_version", lambda distribution: "0.9.0")
    original = vars(botocore.client.BaseClient)["_make_api_call"]
    try:
        chameleonapi.enable(["aws"])
        assert vars(botocore.client.BaseClient)["_make_api_call"] is original
        assert "outside the supported range" in caplog.text
    finally:
        chameleonapi.disable()


def test_the_aws_switch_turns_only_rekognition_off(monkeypatch):
    monkeypatch.setenv("CHAMELEONAPI_AWS_ENABLED", "0")
    try:
        active = chameleonapi.enable()
        assert "aws" not in active and "google" in active
        assert not get_instrumentor("aws").is_patched("botocore.client", "BaseClient._make_api_call")
    finally:
        chameleonapi.disable()
    monkeypatch.delenv("CHAMELEONAPI_AWS_ENABLED")
    try:
        assert "aws" in chameleonapi.enable()
    finally:
        chameleonapi.disable()


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # Pillow warns, then we refuse
def test_hostile_images_get_the_services_errors_and_nothing_else(aws):
    from tests.imaging.hostile import corpus

    expected = {
        "bomb_png_30000x30000": "ImageTooLargeException",
        "huge_png_12000x12000": "ImageTooLargeException",
        "truncated_jpeg": "InvalidImageFormatException",
        "one_pixel_png": "InvalidParameterException",
        "thin_png_1x60000": "InvalidParameterException",
        "animated_gif": "InvalidImageFormatException",
        "eps": "InvalidImageFormatException",
        "svg_text": "InvalidImageFormatException",
        "empty": "InvalidImageFormatException",
    }
    images = corpus()
    client = rekognition()
    for name, code in expected.items():
        with pytest.raises(ClientError) as info:
            client.detect_labels(Image={"Bytes": images[name]})
        assert info.value.response["Error"]["Code"] == code, name
