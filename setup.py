"""Build hook: install `chameleonapi-bootstrap.pth` beside the package in site-packages.

The .pth line runs at interpreter start and imports `chameleonapi.bootstrap` only when
CHAMELEONAPI is set, so `CHAMELEONAPI=1 python app.py` needs no change to the app.
"""

import os

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = "chameleonapi-bootstrap.pth"


class BuildPyWithPth(build_py):
    def run(self) -> None:
        super().run()
        self.copy_file(PTH, os.path.join(self.build_lib, PTH), preserve_mode=False)
        if getattr(self, "editable_mode", False):
            # Editable wheels ship only what lands in the install folder, not build_lib.
            install_lib = self.distribution.get_command_obj("install").install_lib
            if install_lib:
                self.copy_file(PTH, os.path.join(install_lib, PTH), preserve_mode=False)

    def get_outputs(self, include_bytecode: bool = True) -> list:
        return [*super().get_outputs(include_bytecode), os.path.join(self.build_lib, PTH)]


setup(cmdclass={"build_py": BuildPyWithPth})
