"""The package as install.sh builds it (a wheel, not this checkout) carries every file the
services read at run time: templates, mail texts, static assets; and building it is quiet (no
setuptools warning that a data folder "would be ignored")."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

from tests.conftest import REPO

RUNTIME_DATA_ROOTS = ("core", "cli", "webui", "pipeline", "ingestd")


def source_tree(target):
    """The project's files as a fresh clone has them: no egg-info or build folder from an
    editable install, which would paper over a missing package_data pattern."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name in listed:
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def test_wheel_contains_every_template_mail_text_and_static_file_and_builds_quietly(tmp_path):
    source = source_tree(tmp_path / "src")
    wheels = tmp_path / "wheels"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-v",  # the build backend's own warnings are shown only with -v
            "-w",
            str(wheels),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    build_output = result.stdout + result.stderr
    # setuptools warns for each data folder it sees as an undeclared package; data belongs in
    # [options.package_data] of setup.cfg, nowhere else.
    assert "would be ignored" not in build_output
    assert "BuildBackendWarning" not in build_output
    [wheel] = wheels.glob("alarmvault-*.whl")
    packaged = set(zipfile.ZipFile(wheel).namelist())
    needed = {
        str(path.relative_to(REPO))
        for root in RUNTIME_DATA_ROOTS
        for path in (REPO / root).rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    }
    assert needed, "no data files found: the test would prove nothing"
    assert needed <= packaged, f"missing from the wheel: {sorted(needed - packaged)[:10]}"
