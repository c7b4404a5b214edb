"""Print the runtime dependencies, pinned to the versions installed in this venv.

serverless.yml bundles these (as Linux arm64 wheels for Lambda's Python 3.12) into
the function package, so Lambda runs the same versions the tests ran with. The list
is the closure of pyproject.toml's [project] dependencies, with their markers
evaluated for Lambda (Linux, CPython 3.12).

With ``--wheelhouse DIR`` it also puts a wheel of every pure-Python pin in DIR: the
packaging step takes binary packages only (it cannot build for arm64), and a few pure
packages are published as source only (http-ece); serverless.yml points pip at DIR.
"""

import argparse
import re
import subprocess
import sys
from importlib import metadata

from packaging.markers import default_environment
from packaging.requirements import Requirement

LAMBDA = {**default_environment(), "python_version": "3.12", "python_full_version": "3.12.0",
          "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "aarch64",
          "implementation_name": "cpython", "os_name": "posix", "extra": ""}


def closure(root: str) -> dict[str, str]:
    pinned, pending = {}, [Requirement(r) for r in metadata.requires(root) or []]
    while pending:
        requirement = pending.pop()
        if requirement.marker and not requirement.marker.evaluate(LAMBDA):
            continue
        name = re.sub(r"[-_.]+", "-", requirement.name).lower()
        for extra in requirement.extras:  # e.g. psycopg[binary]
            pending += _extra_requirements(requirement.name, extra)
        if name in pinned:
            continue
        pinned[name] = metadata.version(requirement.name)
        pending += [Requirement(r) for r in metadata.requires(requirement.name) or []]
    return pinned


def _extra_requirements(package: str, extra: str) -> list[Requirement]:
    found = []
    for text in metadata.requires(package) or []:
        requirement = Requirement(text)
        if requirement.marker and requirement.marker.evaluate({**LAMBDA, "extra": extra}) \
                and not requirement.marker.evaluate(LAMBDA):
            requirement.marker = None  # already decided: the extra asks for it
            found.append(requirement)
    return found


def is_pure(name: str) -> bool:
    tags = [line.split(":", 1)[1].strip()
            for line in (metadata.distribution(name).read_text("WHEEL") or "").splitlines()
            if line.startswith("Tag:")]
    return bool(tags) and all(tag.endswith("-none-any") for tag in tags)


def fill_wheelhouse(pins: dict[str, str], folder: str) -> None:
    pure = [f"{name}=={version}" for name, version in sorted(pins.items()) if is_pure(name)]
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--wheel-dir", folder, *pure], check=True, stdout=sys.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", nargs="?", default="frontdoor")
    parser.add_argument("--wheelhouse", help="also write pure-Python wheels here")
    args = parser.parse_args()
    pins = closure(args.root)
    if args.wheelhouse:
        fill_wheelhouse(pins, args.wheelhouse)
    print("\n".join(f"{name}=={version}" for name, version in sorted(pins.items())))
