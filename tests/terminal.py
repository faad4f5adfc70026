"""A command run in a pseudo-terminal, as a person at a terminal runs it: its stdin and stdout
are a tty, and (with `controlling=True`) that tty is its controlling terminal, so writing
"\\x03" is a real Ctrl-C: the kernel sends SIGINT to the terminal's foreground process group."""
import fcntl
import os
import select
import subprocess
import termios
import time


class Terminal:
    def __init__(self, command, cwd, env, controlling=False, columns=120):
        self._master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, bytes([40, 0, columns, 0, 0, 0, 0, 0]))
        self.process = subprocess.Popen(
            command, cwd=cwd, env={**env, "TERM": "xterm"}, stdin=slave, stdout=slave, stderr=slave,
            start_new_session=True,  # a session of its own, as a terminal window gives
            preexec_fn=(lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0)) if controlling else None,
        )
        os.close(slave)
        self.output = b""

    @property
    def text(self) -> str:
        return self.output.decode("utf-8", "replace")

    def _read(self, seconds: float) -> bool:
        """Reads what is there within ``seconds``; False once the other side has closed."""
        ready, _, _ = select.select([self._master], [], [], seconds)
        if not ready:
            return True
        try:
            chunk = os.read(self._master, 65536)
        except OSError:  # EIO: every process holding the terminal has exited
            return False
        self.output += chunk
        return bool(chunk)

    def wait_for(self, expected: str, timeout: float = 240) -> str:
        deadline = time.time() + timeout
        while expected not in self.text:
            if time.time() > deadline or not self._read(0.5):
                raise AssertionError(f"{expected!r} did not appear; the terminal shows:\n{self.text[-3000:]}")
        return self.text

    def type(self, keys: str) -> None:
        os.write(self._master, keys.encode())

    def finish(self, timeout: float = 60) -> int:
        """The exit status, once the command has ended and its output is read."""
        deadline = time.time() + timeout
        while self._read(0.5) and time.time() < deadline:
            if self.process.poll() is not None and not select.select([self._master], [], [], 0.2)[0]:
                break
        try:
            return self.process.wait(timeout=max(1, deadline - time.time()))
        finally:
            os.close(self._master)

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 9)
