"""Checks of how spinoff is split into three distributions.

spinoff-core, spinoff-remoting and spinoff-node share one version and the
PEP 420 namespace package `spinoff`. These tests check the versions, the
dependencies between the distributions, and that the namespace imports both
from the editable workspace and from wheels installed into a new virtual
environment. The slow tests build from packages/ with pip and download the
third-party dependencies from the package index.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PACKAGES_DIR = ROOT / "packages"
DISTRIBUTIONS = ("spinoff-core", "spinoff-remoting", "spinoff-node")

# Seconds for a test that creates a virtual environment and installs into it.
INSTALL_TIMEOUT = 600


def load_pyproject(path: Path) -> dict[str, Any]:
    with path.open("rb") as file:
        return tomllib.load(file)


def project_table(distribution: str) -> dict[str, Any]:
    table: dict[str, Any] = load_pyproject(
        PACKAGES_DIR / distribution / "pyproject.toml"
    )["project"]
    return table


def requirements(distribution: str) -> list[Requirement]:
    return [Requirement(text) for text in project_table(distribution)["dependencies"]]


def release_version() -> str:
    version: str = project_table("spinoff-core")["version"]
    return version


def isolated_env() -> dict[str, str]:
    """Return a copy of the environment without variables that select a Python."""
    env = dict(os.environ)
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(name, None)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    return env


def run(command: list[str | Path], cwd: Path | None = None) -> str:
    """Run a command and return its stdout. A non-zero exit fails the test."""
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=isolated_env(),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 0, (
        f"command failed with exit code {result.returncode}: {command}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    return result.stdout


def create_venv(path: Path) -> Path:
    """Create an empty virtual environment and return its interpreter."""
    run([sys.executable, "-m", "venv", path])
    return path / "bin" / "python"


def installed_names(python: Path) -> set[str]:
    listing = json.loads(run([python, "-m", "pip", "list", "--format=json"]))
    return {canonicalize_name(entry["name"]) for entry in listing}


def test_pyproject_versions_equal() -> None:
    versions = {name: project_table(name)["version"] for name in DISTRIBUTIONS}
    assert len(set(versions.values())) == 1, versions


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_installed_version_matches_pyproject(distribution: str) -> None:
    installed = importlib.metadata.version(distribution)
    assert installed == project_table(distribution)["version"]


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_internal_requirements_pin_release(distribution: str) -> None:
    internal = [
        requirement
        for requirement in requirements(distribution)
        if canonicalize_name(requirement.name) in DISTRIBUTIONS
    ]
    for requirement in internal:
        assert requirement.specifier == SpecifierSet(f"=={release_version()}"), (
            f"{distribution} must require {requirement.name}=={release_version()}, "
            f"found {requirement}"
        )


def test_internal_requirements_present() -> None:
    names = {
        distribution: {canonicalize_name(r.name) for r in requirements(distribution)}
        for distribution in DISTRIBUTIONS
    }
    assert not names["spinoff-core"] & set(DISTRIBUTIONS)
    assert "spinoff-core" in names["spinoff-remoting"]
    assert "spinoff-core" in names["spinoff-node"]
    assert "spinoff-remoting" in names["spinoff-node"]


def test_lock_uses_local_packages() -> None:
    lock = load_pyproject(ROOT / "poetry.lock")
    locked = {
        canonicalize_name(package["name"]): package for package in lock["package"]
    }
    for distribution in DISTRIBUTIONS:
        package = locked[canonicalize_name(distribution)]
        assert package["source"]["type"] == "directory", package
        assert package["source"]["url"] == f"packages/{distribution}"
        assert package["develop"] is True
        assert package["version"] == release_version()


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_lock_matches_package_requirements(distribution: str) -> None:
    # The content hash in poetry.lock (Poetry 2.5) covers only the root
    # pyproject.toml, so `poetry install` does not notice a dependency edited in
    # packages/*/pyproject.toml until `make lock` runs.
    lock = load_pyproject(ROOT / "poetry.lock")
    (package,) = (
        package
        for package in lock["package"]
        if canonicalize_name(package["name"]) == distribution
    )
    locked = {canonicalize_name(name) for name in package.get("dependencies", {})}
    declared = {canonicalize_name(r.name) for r in requirements(distribution)}
    assert locked == declared, "run `make lock` after editing a pyproject.toml"


def test_core_import_skips_zmq() -> None:
    code = (
        "import json, sys\n"
        "import spinoff.actor, spinoff.util.pattern_matching, spinoff.util.logging\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    modules = set(json.loads(run([sys.executable, "-c", code])))
    assert "zmq" not in modules
    assert "txzmq" not in modules


def test_namespace_has_no_init_file() -> None:
    init_files = sorted(PACKAGES_DIR.glob("*/src/spinoff/__init__.py"))
    assert not init_files, "spinoff must stay a PEP 420 namespace package"


def test_workspace_namespace_spans_packages() -> None:
    code = (
        "import json, spinoff\n"
        "print(json.dumps({\n"
        "    'path': list(spinoff.__path__),\n"
        "    'file': getattr(spinoff, '__file__', None),\n"
        "}))\n"
    )
    report = json.loads(run([sys.executable, "-c", code]))
    assert report["file"] is None
    namespace = {Path(entry).resolve() for entry in report["path"]}
    for distribution in DISTRIBUTIONS:
        assert PACKAGES_DIR / distribution / "src" / "spinoff" in namespace


@pytest.mark.slow
@pytest.mark.timeout(INSTALL_TIMEOUT)
def test_core_installs_without_remoting(tmp_path: Path) -> None:
    python = create_venv(tmp_path / "venv")
    run([python, "-m", "pip", "install", "--no-compile", PACKAGES_DIR / "spinoff-core"])

    run([python, "-c", "import spinoff.actor, spinoff.util.logging"])
    names = installed_names(python)
    assert "spinoff-core" in names
    assert "twisted" in names
    assert "pyzmq" not in names
    assert "txzmq" not in names
    assert "spinoff-remoting" not in names


@pytest.mark.slow
@pytest.mark.timeout(INSTALL_TIMEOUT)
def test_wheels_share_namespace(tmp_path: Path) -> None:
    python = create_venv(tmp_path / "venv")
    wheel_dir = tmp_path / "wheels"
    package_dirs = [PACKAGES_DIR / distribution for distribution in DISTRIBUTIONS]
    run(
        [
            python,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--wheel-dir",
            wheel_dir,
            *package_dirs,
        ]
    )
    wheels = sorted(wheel_dir.glob("*.whl"))
    assert len(wheels) == len(DISTRIBUTIONS), wheels
    run([python, "-m", "pip", "install", "--no-compile", *wheels])

    code = (
        "import json, sys\n"
        "import spinoff, spinoff.actor, spinoff.remoting, spinoff.node\n"
        "import spinoff.examples\n"
        "import twisted.plugins\n"
        "print(json.dumps({\n"
        "    'namespace': list(spinoff.__path__),\n"
        "    'has_init': getattr(spinoff, '__file__', None) is not None,\n"
        "    'examples': spinoff.examples.__file__,\n"
        "    'plugins': list(twisted.plugins.__path__),\n"
        "    'prefix': sys.prefix,\n"
        "}))\n"
    )
    report = json.loads(run([python, "-c", code], cwd=tmp_path))
    prefix = Path(report["prefix"])
    assert len(report["namespace"]) == 1, report["namespace"]
    site_spinoff = Path(report["namespace"][0])
    assert site_spinoff.is_relative_to(prefix)
    assert not report["has_init"], "spinoff must stay a namespace package"
    assert Path(report["examples"]).is_relative_to(site_spinoff)
    assert not Path(report["examples"]).is_symlink()
    for package in ("actor", "util", "remoting", "node"):
        assert (site_spinoff / package / "py.typed").is_file(), package

    plugin_dirs = [Path(entry) for entry in report["plugins"]]
    assert any((d / "spinoff_startnode.py").is_file() for d in plugin_dirs)
    script = prefix / "bin" / "spinoff-node"
    assert script.is_file()
    assert "Usage" in run([script, "--help"], cwd=tmp_path)
