"""The work after Slack's acknowledgement, in worker processes (`SLACK_WORKERS`, default 1).

Why processes: the process that answers Slack has 3 seconds, and a bare Bolt app acks a burst of
50 requests in flight in about 40 ms at p99. With the core in the same process, the core's work for
that burst (its transactions, the rendering, the replies) held the GIL and made sensebot's acks
about 7 times slower (`tests/bench/bench_slack_http.py`). So the front process only acks, checks
forms and opens the "Loading…" modal; each payload then goes through a queue to a worker process,
which runs the `Pipeline` — users.info, the core's transaction, the reply — with its own database
connections and Web API clients. Workers run at a lower CPU priority, so when the machine is busy
the kernel lets the acks in first; the work itself has minutes (a response_url lives 30).

A worker that dies is replaced at once; the payloads it was working on are lost, as a crash of a
single process loses its in-flight work, and the log says so. The scheduler and the outbox stay in
the front process: they are idle most of the time and share its DM-channel cache.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import signal
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from adapters.slack.pipeline import Pipeline
from adapters.slack.logs import install_log_redaction
from bot.config import Settings, configure_logging

log = logging.getLogger(__name__)

WORKER_NICENESS = 10  # CFS weight 110 against the front's 1024: acks first when both want the CPU
WATCH_SECONDS = 1.0
DRAIN_SECONDS = 20.0  # how long a stopping worker finishes what it holds (Heroku allows 30 s after SIGTERM)


@dataclass(frozen=True)
class Job:
    """One acknowledged payload, as the worker needs it: the body, the token bolt resolved for its
    workspace (per installation with OAuth), and the placeholder modal the front opened."""

    kind: str
    body: dict
    token: str | None
    base_url: str
    view_id: str = ""


class WorkerPool:
    """The front's side: start the workers, hand them payloads (`Handoff.send`), replace the dead."""

    def __init__(self, settings: Settings, count: int, *, command_prefix: str = "/sensebot "):
        self.settings = settings
        self.count = max(1, count)
        self.prefix = command_prefix
        self._mp = multiprocessing.get_context("spawn")  # never fork a process that runs threads
        self.jobs: Any = self._mp.Queue()
        self.procs: list[Any] = []
        self._stopping = threading.Event()
        self._watch: threading.Thread | None = None

    def start(self) -> None:
        self.procs = [self._spawn(i) for i in range(self.count)]
        self._watch = threading.Thread(target=self._watchdog, name="slack-workers", daemon=True)
        self._watch.start()

    def _spawn(self, index: int) -> Any:
        proc = self._mp.Process(target=work, args=(self.settings, self.jobs, self.prefix, os.getpid()),
                                name=f"sensebot-slack-worker-{index}", daemon=True)
        proc.start()
        return proc

    def _watchdog(self) -> None:
        while not self._stopping.wait(WATCH_SECONDS):
            for i, proc in enumerate(self.procs):
                if not proc.is_alive() and not self._stopping.is_set():
                    log.error("Slack worker %s exited (code %s) — starting another; what it was working on is lost",
                              proc.name, proc.exitcode)
                    self.procs[i] = self._spawn(i)

    def alive(self) -> bool:
        return any(p.is_alive() for p in self.procs)

    def send(self, kind: str, body: dict, client: WebClient, opening: Future | None = None) -> None:
        def put(view_id: str = "") -> None:
            self.jobs.put(Job(kind, body, client.token, client.base_url, view_id))

        if opening is None:
            put()
        else:  # after the modal opened (its view id is where the answer goes): a round trip, not a queue
            opening.add_done_callback(lambda f: put("" if f.exception() else f.result() or ""))

    def stop(self) -> None:
        """Let each worker finish what it holds, then end it (once; stopping again does nothing)."""
        if not self.procs:
            return
        self._stopping.set()
        for _ in self.procs:
            self.jobs.put(None)
        for proc in self.procs:
            proc.join(DRAIN_SECONDS + 5)
            if proc.is_alive():
                log.warning("Slack worker %s did not stop in time; ending it", proc.name)
                proc.terminate()
                proc.join(5)
        self.procs = []
        self.jobs.close()


def _opened(view_id: str) -> Future | None:
    if not view_id:
        return None
    future: Future = Future()
    future.set_result(view_id)
    return future


def work(settings: Settings, jobs: Any, command_prefix: str, parent: int) -> None:
    """A worker process: build the core from the same settings, then run the pipeline for each job
    until told to stop (None) or the front process is gone."""
    from bot.app import build

    # Ctrl-C and a platform's SIGTERM reach the whole process group. The front stops the workers in
    # order (None, after its last ack); a SIGTERM alone means: finish what is queued, then end.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        os.nice(WORKER_NICENESS)
    except OSError:
        pass
    configure_logging(settings)
    install_log_redaction()
    app = build(settings, command_prefix=command_prefix, migrate=False)  # the front migrated at its start
    pipeline = Pipeline(app.practice)
    clients: dict[tuple[str | None, str], WebClient] = {}
    while True:
        try:
            job = jobs.get(timeout=WATCH_SECONDS)
        except queue.Empty:
            if stopping.is_set() or os.getppid() != parent:  # nothing left, or the front died without telling us
                break
            continue
        if job is None:
            break
        client = clients.get((job.token, job.base_url))
        if client is None:
            client = clients[(job.token, job.base_url)] = WebClient(token=job.token, base_url=job.base_url, timeout=10)
        pipeline.send(job.kind, job.body, client, _opened(job.view_id))
    if not pipeline.wait_idle(DRAIN_SECONDS):
        log.warning("a Slack worker stopped with work unfinished")
    app.db.dispose()
