"""Container images for the tests, built locally from Debian's packages.

Each function returns the tag of an image built by docker/build-test-images.sh.
The tag carries a hash of the image's inputs, and the script builds only when
that tag is missing, so after the first build a call costs a few hashes.
"""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO_ROOT / "docker" / "build-test-images.sh"


class ImageBuildError(RuntimeError):
    """docker/build-test-images.sh failed."""


@functools.cache
def _build(target: str) -> str:
    result = subprocess.run(
        ["bash", str(BUILD_SCRIPT), target],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    tags = result.stdout.split()
    if result.returncode != 0 or not tags:
        raise ImageBuildError(
            f"{BUILD_SCRIPT.name} {target} exited {result.returncode}:\n{result.stderr[-4000:]}"
        )
    return tags[-1]


def base_test_image() -> str:
    """Minimal Debian bookworm (python3, venv, pip, CA certificates) made by debootstrap."""
    return _build("base")


def checker_test_image() -> str:
    """docker/Dockerfile built on the Debian base image."""
    return _build("checker")


def postgres_test_image() -> str:
    """PostgreSQL 15 from Debian's packages, with the official postgres image's interface."""
    return _build("postgres")
