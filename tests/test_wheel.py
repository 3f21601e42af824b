"""A built wheel works alone: installed into a virtual environment outside the checkout, it indexes its bundled seed
articles (a bare `assistant index`), answers with a verbatim quote, and loads its prompts and the chat's styles.

The environment reuses the dependencies installed here (a path line to this interpreter's site-packages), so the
test needs no network and takes seconds beyond the build; only the wheel's own `assistant` is installed into it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.helpers import MEDIATE, REPO

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of the checkout (its layout: prompts/ and seeds/ at the top)."""
    source = tmp_path_factory.mktemp("source")
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO / "assistant", source / "assistant", symlinks=True, ignore=ignore)
    for folder in ("prompts", "seeds"):
        shutil.copytree(REPO / folder, source / folder)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", "dist", "."]
    subprocess.run(command, cwd=source, check=True, capture_output=True, timeout=600)
    (built,) = (source / "dist").glob("*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment outside the checkout with the wheel installed; returns its bin folder."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    bin_dir = venv / "bin"
    python = bin_dir / "python"
    inner = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # After its own site-packages: the wheel's `assistant` comes first, and this checkout's editable install (a .pth
    # hook of the outer site-packages, not run for a path added this way) stays out.
    Path(inner, "reuse-installed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)]
    subprocess.run(install, check=True, capture_output=True, timeout=600)
    return bin_dir


def run_installed(bin_dir: Path, *command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A command of the installed environment, run outside the checkout with nothing of it on the path."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PYTHONWARNINGS="ignore", PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}")
    result = subprocess.run(
        [str(bin_dir / command[0]), *command[1:]], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stderr
    return result


def test_the_wheel_carries_prompts_seeds_and_styles(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {f"assistant/bundled/prompts/{p.name}" for p in (REPO / "prompts").glob("*.txt")}
    wanted |= {f"assistant/bundled/seeds/{p.name}" for p in (REPO / "seeds").iterdir()}
    assert wanted and wanted <= names
    assert "assistant/serve/chat.css" in names and "assistant/serve/chat_app.py" in names


def test_an_installed_wheel_indexes_its_seeds_answers_and_loads_its_prompts(installed: Path, tmp_path: Path) -> None:
    where = run_installed(installed, "python", "-c", "import assistant; print(assistant.__file__)", cwd=tmp_path)
    assert Path(where.stdout.strip()).is_relative_to(installed.parent), where.stdout  # not this checkout's copy
    index = ["--index-dir", str(tmp_path / "index")]
    report = json.loads(run_installed(installed, "assistant", "index", *index, "--json", cwd=tmp_path).stdout)
    assert report["added"] == len(list((REPO / "seeds").iterdir())) and report["refused"] == []
    answer = json.loads(run_installed(installed, "assistant", "ask", MEDIATE, *index, "--json", cwd=tmp_path).stdout)
    assert answer["quotes"] and not answer["abstained"]
    loaded = run_installed(
        installed,
        "python",
        "-c",
        "from assistant.answering.prompts import PROMPTS_DIR, load_prompt\n"
        "from assistant.serve.chat_app import CSS\n"
        "load_prompt('answer'), load_prompt('rewrite')\n"
        "print(PROMPTS_DIR, len(CSS))",
        cwd=tmp_path,
    )
    folder, css_chars = loaded.stdout.split()
    assert Path(folder).is_relative_to(installed.parent) and int(css_chars) > 0
