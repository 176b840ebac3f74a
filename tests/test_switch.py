"""The public switch: enable/disable/is_enabled/enabled, env toggles, laziness."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

import chameleonapi

ROOT = Path(__file__).resolve().parent.parent
ENV = {k: v for k, v in os.environ.items() if not k.startswith("CHAMELEONAPI_") or k in ("CHAMELEONAPI_HOME", "CHAMELEONAPI_THREADS")}


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**ENV, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_enable_is_idempotent_and_disable_restores():
    try:
        assert chameleonapi.enable(["google"]) == ["google"]
        assert chameleonapi.enable(["google"]) == ["google"]
        assert chameleonapi.is_enabled() and chameleonapi.is_enabled("google")
        assert not chameleonapi.is_enabled("azure")
    finally:
        chameleonapi.disable()
        chameleonapi.disable()
    assert not chameleonapi.is_enabled()


def test_context_manager_restores_previous_state():
    with chameleonapi.enabled(["google"]) as active:
        assert active == ["google"]
        assert chameleonapi.is_enabled("google")
    assert not chameleonapi.is_enabled()


def test_unknown_provider_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown provider"):
        chameleonapi.enable(["nope"])


def test_concurrent_enable_disable_is_safe():
    errors = []

    def worker():
        try:
            for _ in range(20):
                chameleonapi.enable(["google"])
                chameleonapi.disable()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    import wrapt
    from google.cloud.vision_v1.services.image_annotator import client

    assert not isinstance(vars(client.ImageAnnotatorClient)["batch_annotate_images"], wrapt.ObjectProxy)


def test_env_var_enables_at_interpreter_start_without_code_change(tmp_path):
    app = tmp_path / "app.py"
    app.write_text(
        textwrap.dedent(
            """
            import sys
            from google.cloud import vision
            client = vision.ImageAnnotatorClient()
            image = vision.Image(content=open(sys.argv[1], "rb").read())
            response = client.label_detection(image=image)
            print([label.description for label in response.label_annotations])
            """
        )
    )
    from tests.images import photo

    image = tmp_path / "cat.jpg"
    image.write_bytes(photo("chelsea"))
    result = subprocess.run(
        [sys.executable, str(app), str(image)],
        env={**ENV, "CHAMELEONAPI": "1", "CHAMELEONAPI_TRAIN": "never"},
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "'Cat'" in result.stdout


def test_env_var_unset_leaves_sdk_alone():
    result = run_python(
        """
        import sys
        assert "chameleonapi" not in sys.modules
        """
    )
    assert result.returncode == 0, result.stderr


def test_keyword_beats_env_beats_default():
    code = """
        import chameleonapi, json, sys
        print(json.dumps([chameleonapi.enable(), chameleonapi.is_enabled("google")]))
        chameleonapi.disable()
        print(json.dumps(chameleonapi.enable(["google"])))
    """
    result = run_python(code, CHAMELEONAPI_GOOGLE_ENABLED="0")
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.strip().splitlines()
    assert '"google"' not in first  # the env switch removes it from the default set
    assert second == '["google"]'  # an explicit keyword wins over the env switch


def test_env_toggle_only_registers_an_import_hook():
    """With CHAMELEONAPI=1 a program that imports no vision SDK loads no provider, wrapt or switch."""
    result = run_python(
        """
        import json, sys
        print(json.dumps(sorted(m for m in sys.modules if m.startswith(("chameleonapi", "wrapt")))))
        """,
        CHAMELEONAPI="1",
    )
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout))
    assert "chameleonapi.bootstrap" in loaded  # the hook is there ...
    assert not {m for m in loaded if m.startswith("chameleonapi.services")}  # ... and nothing more
    assert not loaded & {"wrapt", "chameleonapi.switch", "chameleonapi.config"}


def test_env_toggle_patches_when_the_sdk_is_imported():
    result = run_python(
        """
        import sys
        from google.cloud import vision
        import chameleonapi
        from chameleonapi.patches import get_instrumentor
        assert chameleonapi.is_enabled("google")
        module = "google.cloud.vision_v1.services.image_annotator.client"
        assert get_instrumentor("google").is_patched(module, "ImageAnnotatorClient.batch_annotate_images")
        """,
        CHAMELEONAPI="1",
    )
    assert result.returncode == 0, result.stderr


def test_every_patched_module_lies_below_a_watched_sdk_package():
    from chameleonapi.patches import get_instrumentor
    from chameleonapi.services import switches
    from tests.providers.drivers import bootstrap_packages  # importing the bootstrap would install its hook

    watched = tuple(p + "." for p in bootstrap_packages())
    for name in switches():
        for patch in get_instrumentor(name).patch_list():
            assert patch.module.startswith(watched), patch.module


def test_run_launcher_serves_an_unchanged_program_with_one_thread(tmp_path):
    """`chameleonapi run` enables an unchanged program; serving uses one intra-op thread unless
    configured, so several serving processes on one machine do not oversubscribe its cores."""
    app = tmp_path / "app.py"
    app.write_text(
        textwrap.dedent(
            """
            import sys
            from google.cloud import vision
            client = vision.ImageAnnotatorClient()
            response = client.label_detection(image=vision.Image(content=open(sys.argv[1], "rb").read()))
            print([label.description for label in response.label_annotations])
            import torch
            print("threads", torch.get_num_threads())
            """
        )
    )
    from tests.images import photo

    image = tmp_path / "cat.jpg"
    image.write_bytes(photo("chelsea"))
    env = {k: v for k, v in ENV.items() if k != "CHAMELEONAPI_THREADS"}
    result = subprocess.run(
        [sys.executable, "-m", "chameleonapi", "run", "--train", "never", sys.executable, str(app), str(image)],
        env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "'Cat'" in result.stdout
    assert "threads 1" in result.stdout


def test_log_lines_carry_one_prefix():
    """Warnings read `chameleonapi: ...` once, with or without the application's logging set up."""
    code = """
        import logging, sys
        import chameleonapi
        chameleonapi.enable(["google"])
        from chameleonapi.serving.notices import say_once
        if sys.argv[-1] == "configured":
            logging.basicConfig(format="%(name)s: %(message)s")
        say_once("something to say")
    """
    for mode in ("bare", "configured"):
        result = subprocess.run([sys.executable, "-c", textwrap.dedent(code), mode], env=ENV,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stderr.strip() == "chameleonapi: something to say", (mode, result.stderr)


def test_without_any_sdk_installed_nothing_reports_itself_enabled(tmp_path):
    """A core install (wrapt and platformdirs, no vision SDK): `enable()` patches nothing and says so."""
    import platformdirs
    import wrapt

    from tests.venvs import make_venv, run_in

    core = tmp_path / "core"
    core.mkdir()
    for package in (wrapt, platformdirs):
        (core / package.__name__).symlink_to(os.path.dirname(package.__file__))
    python, _ = make_venv(tmp_path / "venv", [ROOT, core])
    result = run_in(
        python,
        textwrap.dedent(
            """
            import json, importlib.util
            import chameleonapi
            assert importlib.util.find_spec("botocore") is None  # really no SDK here
            default = chameleonapi.enable()
            named = chameleonapi.enable(["google", "aws"])
            with chameleonapi.enabled() as inside:
                pass
            print(json.dumps([default, named, inside, chameleonapi.is_enabled(), chameleonapi.is_enabled("google")]))
            """
        ),
        **{k: v for k, v in ENV.items() if k.startswith("CHAMELEONAPI_")},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [[], [], [], False, False]
    warnings = [line for line in result.stderr.splitlines() if "nothing is patched" in line]
    assert len(warnings) == 3, result.stderr  # no SDK at all, then google and aws named: each once
    assert "google-cloud-vision" in warnings[1] and "botocore" in warnings[2]
