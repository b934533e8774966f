"""The package installs (issue 15): a wheel built from the sources runs `fundrisk` in a fresh venv.

Only the editable install used to work, because keywords/ was found by walking up from __file__. Here the wheel is
built from a copy of the sources (nothing is written into the tree), installed without dependencies into a
new venv that sees the project venv's site-packages through a .pth line (third-party libraries only: a .pth
file inside a directory reached that way is not processed, so the editable finder stays off), and run from
an unrelated folder: only the wheel's own files can serve the lexicon, models and rules.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from enrichers.keywords_lexicon import load_lexicon
from enrichers.sentiment import sentiment_version

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PACKAGES = [p.rstrip("*") for p in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]]
# What pip prints when it cannot get the build backend (setuptools, wheel) without a network.
OFFLINE = (
    "No matching distribution",
    "Could not find a version that satisfies",
    "invalid command 'bdist_wheel'",
)

# Run inside the fresh venv: where the packages come from and what their data loads to.
PROBE = """
import json, sys, enrichers, flows, fundrisk, scoring
from enrichers.keywords_lexicon import load_lexicon
from enrichers.keywords_model import load_model
from enrichers.names import rules
from enrichers.sentiment import sentiment_version
from enrichers.text_model import load_text_model
from fundrisk.settings import PROJECT_ROOT
print(json.dumps({
    "files": [m.__file__ for m in (enrichers, flows, fundrisk, scoring)], "path": sys.path,
    "lexicon": load_lexicon().version, "sentiment": sentiment_version(), "name_rules": rules().version,
    "name_model": load_model() is not None, "text_model": load_text_model() is not None,
    "root": str(PROJECT_ROOT),
}))
"""


@dataclass(frozen=True)
class Installed:
    wheel: Path
    bin: Path  # the fresh venv's bin/
    work: Path  # an empty working folder outside the source tree
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            cwd=self.work,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def _data_files() -> set[str]:
    """Every non-code file inside the packages (docs aside): all of them are read at run time."""
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*"):
            if (
                path.is_file()
                and path.suffix not in (".py", ".pyc", ".md")
                and "__pycache__" not in path.parts
            ):
                found.add(path.relative_to(ROOT).as_posix())
    return found


def _build_wheel(src: Path, dist: Path) -> Path:
    """pip wheel, without build isolation when setuptools and wheel are at hand (offline), else isolated."""
    try:
        import wheel  # noqa: F401

        isolation = ["--no-build-isolation"]
    except ImportError:
        isolation = []
    cmd = [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", *isolation, "-w", str(dist)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        output = done.stdout + done.stderr
        if any(marker in output for marker in OFFLINE):
            pytest.skip(f"cannot build a wheel offline (no setuptools>=68/wheel to hand): {output[-400:]}")
        raise AssertionError(f"pip wheel failed:\n{output[-3000:]}")
    (wheel_file,) = dist.glob("fundrisk-*.whl")
    return wheel_file


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    wheel_file = _build_wheel(src, base / "dist")

    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            str(wheel_file),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    deps = sysconfig.get_paths()["purelib"]  # the project venv's third-party libraries
    (Path(purelib) / "fundrisk_test_deps.pth").write_text(deps + "\n", encoding="utf-8")

    work = base / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "FUNDRISK_DB")}
    env["FUNDRISK_DB"] = str(work / "fundrisk.duckdb")
    return Installed(wheel_file, venv / "bin", work, env)


def test_wheel_carries_every_data_file(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    missing = sorted(_data_files() - names)
    assert not missing, (
        f"package data missing from the wheel (pyproject [tool.setuptools.package-data]): {missing}"
    )
    assert "keywords/lexicon.csv" in names
    assert "keywords/model/name_ngram_lr.npz" in names


def test_installed_package_runs_from_the_wheel_only(installed: Installed) -> None:
    probe = installed.run("python", "-c", PROBE)
    assert probe.returncode == 0, probe.stderr
    facts = json.loads(probe.stdout)
    venv = installed.bin.parent
    assert all(Path(f).is_relative_to(venv) for f in facts["files"]), facts["files"]
    assert str(ROOT) not in facts["path"]
    assert Path(facts["root"]) == installed.work  # data/ (default database) goes beside the analyst
    # The same files as the checkout: the versions carry a digest of their contents.
    assert facts["lexicon"] == load_lexicon().version
    assert facts["sentiment"] == sentiment_version()
    assert facts["name_model"] and facts["text_model"] and facts["name_rules"]


def test_installed_fundrisk_screen(installed: Installed) -> None:
    done = installed.run("fundrisk", "screen", "某某理财", "中国工商银行股份有限公司淄博分行", "--json")
    assert done.returncode == 0, done.stderr
    banned, bank = (json.loads(line) for line in done.stdout.splitlines())
    assert banned["verdict"].startswith("禁止使用") and "理财" in banned["verdict"]
    assert {"term": "理财", "category": "条例第九条禁用字样"} in banned["hits"]
    assert banned["score"] >= 60
    assert bank["hits"] == [] and bank["score"] < banned["score"]


@pytest.mark.usefixtures("prefect_harness")
def test_installed_generate_and_run(installed: Installed) -> None:
    import prefect.settings

    env = {**installed.env, "PREFECT_API_URL": str(prefect.settings.PREFECT_API_URL.value())}
    inbox, out = installed.work / "inbox", installed.work / "exports"
    generated = installed.run("fundrisk", "generate", "--out", str(inbox), "--entities", "200", "--seed", "5")
    assert generated.returncode == 0, generated.stderr
    done = subprocess.run(
        [str(installed.bin / "fundrisk"), "run", "--inbox", str(inbox), "--out", str(out), "--json"],
        cwd=installed.work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["rows_quarantined"] == 0 and summary["per_kind"]["registrations"]["loaded"] == 200
    assert summary["keywords"]["lexicon_version"] == load_lexicon().version
    assert summary["keywords"]["keyword_hits"] > 0
    assert summary["scoring"]["subjects"] >= 200
    assert summary["exports"] and all(Path(p).is_file() for p in summary["exports"].values())
