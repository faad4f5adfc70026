"""scripts/check_free_space.sh: `make install` says how much room it needs before pip runs out of it."""
import subprocess

from paths import ROOT

SCRIPT = ROOT / "scripts" / "check_free_space.sh"


def free_mb(folder) -> int:
    out = subprocess.run(["df", "-Pm", str(folder)], capture_output=True, text=True, check=True).stdout
    return int(out.splitlines()[1].split()[3])


def test_too_little_room_is_refused_with_what_is_needed_and_where(tmp_path):
    need = free_mb(tmp_path) + 1_000_000
    done = subprocess.run([str(SCRIPT), str(need), "Installing the locked dependencies into .venv"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 1
    assert f"Installing the locked dependencies into .venv needs about {need} MB free" in done.stderr
    assert str(tmp_path) in done.stderr and "df -h ." in done.stderr


def test_enough_room_passes_quietly(tmp_path):
    done = subprocess.run([str(SCRIPT), "1", "Installing"], cwd=tmp_path, capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_make_install_checks_the_room_before_it_creates_the_venv():
    recipe = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert recipe.index("scripts/check_free_space.sh $(INSTALL_MB)") < recipe.index('-m venv $(VENV)')
