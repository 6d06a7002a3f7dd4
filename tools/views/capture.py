"""Capturing both views of one process: the kernel's (taskscope snapshot,
and taskscope watch in the background) and the process's own
(/debug/threads on uploadd's debug listener). Every failure is a Failure:
one line and the exit code compare-views documents."""

import json
import os
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_GONE = 0, 1, 2, 3
EXIT_PRIVILEGE, EXIT_KERNEL = 4, 5


class Failure(Exception):
    """One-line error with an exit code."""

    def __init__(self, msg, code=EXIT_FAILURE):
        super().__init__(msg)
        self.code = code


def find_taskscope(explicit):
    """--taskscope, else $TASKSCOPE, else PATH, else this checkout's build."""
    if explicit:
        return explicit
    if os.environ.get("TASKSCOPE"):
        return os.environ["TASKSCOPE"]
    found = shutil.which("taskscope")
    if found:
        return found
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "..", "..", "build", "taskscope")


def _get(url, what, timeout_s):
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as r:
            return r.read()
    except urllib.error.HTTPError as e:
        raise Failure(f"cannot read {what} from {url}: HTTP {e.code} "
                      f"(is this uploadd's debug listener?)")
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise Failure(f"cannot read {what} from {url}: {reason} (check "
                      f"--debug-url: uploadd's --debug-listen address)")


def check_debug_listener(base_url, timeout_s=10):
    """Fails early when nothing answers at base_url. /metrics: not a dump
    (a dump signals every thread of the process), and not /healthz, which
    asks Redis and so hangs while Redis does: the very moment one wants to
    compare the views."""
    url = base_url.rstrip("/") + "/metrics"
    _get(url, "/metrics", timeout_s)


def fetch_dump(base_url, timeout_s=10):
    url = base_url.rstrip("/") + "/debug/threads?format=json"
    body = _get(url, "the in-process dump", timeout_s)
    try:
        return json.loads(body)
    except ValueError as e:
        raise Failure(f"the in-process dump from {url} is not JSON: {e}")


def last_error_line(stderr_text):
    lines = [ln for ln in stderr_text.splitlines() if ln.strip()]
    return lines[-1] if lines else "no message"


def run_snapshot(taskscope, pid):
    try:
        return subprocess.Popen([taskscope, "snapshot", "-p", str(pid), "--json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    except OSError as e:
        raise Failure(f"cannot run {taskscope}: {e.strerror} (build it with "
                      f"make, or pass --taskscope PATH)")


def taskscope_failed(what, rc, stderr_text):
    code = {3: EXIT_GONE, 4: EXIT_PRIVILEGE, 5: EXIT_KERNEL}.get(rc, EXIT_FAILURE)
    return Failure(f"taskscope {what} failed (exit {rc}): "
                   f"{last_error_line(stderr_text)}", code)


def capture(pid, base_url, taskscope):
    """Both views of pid: the kernel's pass first, then the dump at once.
    Not the other way round: a dump signals every thread, which would
    reset what the kernel measures (how long each has been off CPU)."""
    proc = run_snapshot(taskscope, pid)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise taskscope_failed("snapshot", proc.returncode, err)
    try:
        snap = json.loads(out)
    except ValueError as e:
        raise Failure(f"taskscope snapshot printed no JSON document: {e}")
    return fetch_dump(base_url), snap


class Watch:
    """taskscope watch --json in the background, its stderr followed until
    it says it is attached."""

    def __init__(self, taskscope, pid, seconds):
        try:
            self.proc = subprocess.Popen(
                [taskscope, "watch", "-p", str(pid), "--json", "--duration",
                 f"{int(seconds * 1000)}ms"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        except OSError as e:
            raise Failure(f"cannot run {taskscope}: {e.strerror}")
        self.attached = threading.Event()
        self.err = []
        self.out = []
        threading.Thread(target=self._stderr, daemon=True).start()
        threading.Thread(target=self._stdout, daemon=True).start()

    def _stderr(self):
        for line in self.proc.stderr:
            self.err.append(line)
            if "watching" in line:
                self.attached.set()
        self.attached.set()

    def _stdout(self):
        for line in self.proc.stdout:
            self.out.append(line)

    def wait_attached(self, timeout_s=30):
        self.attached.wait(timeout_s)
        if self.proc.poll() not in (None, 0):
            self.proc.wait()
            raise taskscope_failed("watch", self.proc.returncode,
                                   "".join(self.err))

    def finish(self):
        rc = self.proc.wait()
        time.sleep(0.05)  # let the readers drain
        if rc != 0:
            raise taskscope_failed("watch", rc, "".join(self.err))
        events = []
        for line in self.out:
            line = line.strip()
            if line:
                events.append(json.loads(line))
        return events

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()
