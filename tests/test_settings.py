"""One settings path: flag > environment > [tool.chameleonapi] in pyproject.toml > default."""

from __future__ import annotations

import pytest

from chameleonapi import config
from chameleonapi.config import SettingsError


@pytest.fixture
def project(tmp_path, monkeypatch):
    """An application folder with a pyproject.toml; no CHAMELEONAPI_* variable set."""
    for name in ("CHAMELEONAPI_BUDGET", "CHAMELEONAPI_DATA", "CHAMELEONAPI_TRAIN", "CHAMELEONAPI_PROGRESS",
                 "CHAMELEONAPI_THREADS", "CHAMELEONAPI_DETECTOR_BUDGET"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "pkg").mkdir()
    app = tmp_path / "pkg" / "app.py"
    app.write_text("print('app')\n")
    previous = config.set_project(app)
    yield tmp_path
    config.set_project(previous)


def write_pyproject(folder, body: str) -> None:
    (folder / "pyproject.toml").write_text(f"[project]\nname = 'app'\n\n[tool.chameleonapi]\n{body}\n")
    config.set_project(folder / "pkg" / "app.py")  # look for pyproject.toml again


def test_precedence_flag_env_pyproject_default(project, monkeypatch):
    assert config.budget() == "default" and config.source_of("budget") == "default"
    write_pyproject(project, 'budget = "small"\ntrain = "never"')
    assert config.budget() == "small" and "pyproject.toml" in config.source_of("budget")
    assert config.train_mode() == "never"
    monkeypatch.setenv("CHAMELEONAPI_BUDGET", "tiny")
    assert config.budget() == "tiny" and config.source_of("budget") == "CHAMELEONAPI_BUDGET"
    with config.override(budget="default"):
        assert config.budget() == "default" and config.source_of("budget") == "--budget"
    assert config.budget("small") == "small"  # a keyword wins too


def test_errors_name_the_setting_and_its_source(project, monkeypatch):
    monkeypatch.setenv("CHAMELEONAPI_BUDGET", "huge")
    with pytest.raises(SettingsError, match=r"CHAMELEONAPI_BUDGET='huge'.*one of default, small, tiny"):
        config.budget()
    monkeypatch.delenv("CHAMELEONAPI_BUDGET")
    write_pyproject(project, "threads = -2")
    with pytest.raises(SettingsError, match=r"threads in .*pyproject.toml"):
        config.resolve()
    monkeypatch.setenv("CHAMELEONAPI_DATA", str(project / "missing-photos"))
    with pytest.raises(SettingsError, match="missing-photos does not exist"):
        config.data_source()
    assert isinstance(SettingsError("x"), ValueError)


def test_both_training_budgets_are_settings_of_one_type(project, monkeypatch):
    from chameleonapi.serving.resolution import Budget, budget_for
    from chameleonapi.switch import check_settings

    write_pyproject(project, 'detector_budget = "tiny"\nbudget = "small"')
    assert budget_for("objects") == Budget("objects", "tiny") and budget_for("labels") == Budget("labels", "small")
    monkeypatch.setenv("CHAMELEONAPI_DETECTOR_BUDGET", "huge")
    with pytest.raises(SettingsError, match=r"CHAMELEONAPI_DETECTOR_BUDGET='huge'.*one of default, tiny"):
        check_settings()  # what enable() runs before patching anything


def test_progress_bars_only_on_a_terminal_unless_asked(project, monkeypatch, capsys):
    # capsys: stderr is not a terminal, like a pipe or a CI log
    assert config.progress() is False
    monkeypatch.setenv("CHAMELEONAPI_PROGRESS", "1")
    assert config.progress() is True
    monkeypatch.setenv("CHAMELEONAPI_PROGRESS", "0")
    assert config.progress() is False


def test_threads_default_to_one_and_zero_keeps_torch_default(project, monkeypatch):
    monkeypatch.delenv("CHAMELEONAPI_THREADS", raising=False)
    assert config.torch_threads() == 1
    monkeypatch.setenv("CHAMELEONAPI_THREADS", "0")
    assert config.torch_threads() is None
    monkeypatch.setenv("CHAMELEONAPI_THREADS", "abc")
    with pytest.raises(SettingsError, match="CHAMELEONAPI_THREADS"):
        config.torch_threads()
