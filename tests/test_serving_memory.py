"""serving/memory.py: after the model is loaded the server hands the memory it freed back to the
system. Measured in a process of its own (resident memory read from /proc)."""
import subprocess
import sys
from argparse import Namespace

from paths import ROOT

FREED_THEN_RELEASED = """
import sys
from serving import memory

def resident_mb():
    return [int(line.split()[1]) / 1024 for line in open("/proc/self/status") if line.startswith("VmRSS")][0]

blocks = [bytes(2048) for _ in range(40_000)]  # ~80 MB from glibc's malloc (too big for Python's own)
keep = bytes(2048)                             # allocated after them: the heap cannot just shrink
del blocks
before = resident_mb()
memory.release()
print(before - resident_mb())
"""


def test_rasas_plugin_hook_adds_the_release_to_rasa_run():
    from serving.memory import MemoryReleasePlugin, release_after_start

    args = Namespace(model="models/clinic-faq.tar.gz", server_listeners=[("theirs", "before_server_start")])
    MemoryReleasePlugin().configure_commandline(cmdline_arguments=args)
    assert args.server_listeners == [("theirs", "before_server_start"), (release_after_start, "after_server_start")]


def test_freed_memory_goes_back_to_the_system():
    done = subprocess.run([sys.executable, "-c", FREED_THEN_RELEASED], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) > 40  # MB returned (of ~80 freed)
