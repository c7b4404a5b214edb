"""gunicorn on one fixed port that a load run can hurt: SIGKILL one worker (the master
starts another), or kill the whole server and start it again on the same port.

    with RestartableGunicorn(env={"DATABASE_URL": url}, workers=Workers(3, 4)) as server:
        server.kill_worker()     # -> the pid killed
        server.restart()         # SIGKILL to master and workers, then a fresh start
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from tests.bench.serve import GUNICORN_CONF, ROOT, Workers, free_port, scratch_dir

APP_SPEC = "backend:create_app()"
READY_PATH = "/healthz"


class RestartableGunicorn:
    def __init__(self, *, env: Mapping[str, str], workers: Workers, timeout: float = 60):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers, self.timeout = workers, timeout
        # Every client comes from 127.0.0.1: the per-address rate limits would throttle
        # the load itself, so they are off in the server under test.
        self.env = {**os.environ, "GUNICORN_ACCESS_LOG": "", "RATELIMIT_ENABLED": "false",
                    **env}
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self._logs = scratch_dir("frontdoor-load-")
        self._log_dir: Path | None = None

    def __enter__(self) -> RestartableGunicorn:
        self._log_dir = self._logs.__enter__()
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.stop()
        finally:
            self._logs.__exit__(*exc)

    def start(self) -> None:
        self.starts += 1
        command = [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF),
                   "--bind", f"127.0.0.1:{self.port}", *self.workers.args(), APP_SPEC]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_until_serving()

    def stop(self) -> None:
        """Graceful: SIGTERM, in-flight requests finish."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._kill_all()

    def restart(self) -> None:
        """A crash and a restart: master and workers die at once (SIGKILL), mid-request."""
        self._kill_all()
        self.start()

    def kill_worker(self) -> int:
        """SIGKILL one worker; gunicorn's master notices and starts a new one."""
        workers = self.worker_pids()
        if not workers:
            raise RuntimeError("gunicorn has no workers to kill")
        victim = workers[0]
        os.kill(victim, signal.SIGKILL)
        return victim

    def worker_pids(self) -> list[int]:
        master = self.process.pid
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # the process ended meanwhile
            if parent == master:
                found.append(int(stat.parent.name))
        return sorted(found)

    @property
    def log_path(self) -> Path:
        return self._log_dir / "gunicorn.log"

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def error_lines(self) -> list[str]:
        """The log lines of errors (JSON lines at ERROR or CRITICAL, with their traceback)."""
        lines = self.log_path.read_text(errors="replace").splitlines()
        return [line for line in lines if '"level": "ERROR"' in line
                or '"level": "CRITICAL"' in line]

    def _kill_all(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def _wait_until_serving(self) -> None:
        import urllib.error
        import urllib.request

        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n"
                                   f"{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + READY_PATH, timeout=2):
                    return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer within {self.timeout:.0f} s:\n"
                           f"{self.log_tail()}")
