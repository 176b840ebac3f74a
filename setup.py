"""Build hook: install `chameleonapi-bootstrap.pth` beside the package in site-packages.

The package's metadata, dependencies and entry points are declared in setup.cfg; this file
adds only the one step a declaration cannot express: a file at the top of site-packages,
in wheels and in editable installs alike.

The .pth line runs at interpreter start and imports `chameleonapi.bootstrap` only when
CHAMELEONAPI is set, so `CHAMELEONAPI=1 python app.py` needs no change to the app.
"""

import os

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = "chameleonapi-bootstrap.pth"
# One line, run by `site` at start-up; it imports nothing more unless CHAMELEONAPI is set.
PTH_LINE = (
    'import os; os.environ.get("CHAMELEONAPI", "").strip().lower() not in ("", "0", "false", "no", "off") '
    'and __import__("chameleonapi.bootstrap")\n'
)


def _write_pth(folder: str) -> None:
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, PTH), "w", encoding="utf-8") as fh:
        fh.write(PTH_LINE)


class BuildPyWithPth(build_py):
    def run(self) -> None:
        super().run()
        _write_pth(self.build_lib)
        if getattr(self, "editable_mode", False):
            # Editable wheels ship only what lands in the install folder, not build_lib.
            install_lib = self.distribution.get_command_obj("install").install_lib
            if install_lib:
                _write_pth(install_lib)

    def get_outputs(self, include_bytecode: bool = True) -> list:
        return [*super().get_outputs(include_bytecode), os.path.join(self.build_lib, PTH)]


setup(cmdclass={"build_py": BuildPyWithPth})
