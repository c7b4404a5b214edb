"""A city's day, compressed: residents report (some with a photo, some sending the same
report twice), a dispatcher opens work orders and assigns them to crews, crews start and
complete them (with a proof photo where the service needs one), all at once against
gunicorn on localhost. Optionally a worker is killed (SIGKILL) and the whole server is
killed and started again mid-load.

Clients behave as the PWA does: every write carries an idempotency key (reports, photos,
work-order actions) and is retried with the same key on a connection error until it is
answered. Creating a work order has no key: after a connection error the dispatcher first
asks whether the work order exists (as a person at a desk would) and only then retries.

    outcome = run_load(database_url, Settings(seconds=10, faults=True), data_dir=tmp)
    print(outcome.report()); outcome.proof.lost_count  # → 0
"""

from __future__ import annotations

import io
import queue
import random
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests
from PIL import Image

from tests.bench.serve import Workers
from tests.bench.table import format_table
from tests.load.ledger import Ledger, Submission
from tests.load.proof import Proof, description_marker, prove
from tests.load.server import RestartableGunicorn

V1 = "/api/v1"
CITY_HALL = (34.0537, -118.2427)  # (lat, lon), inside the demo city
# Each crew account's work: one service without a proof photo, one that needs it.
CREWS = {
    "crew": {"service": "metal-household-appliances", "attributes": {}},
    "crew2": {"service": "graffiti-removal", "attributes": {"surface": "wall"}},
}
CREW_PASSWORD = "frontdoor-crew"
DISPATCHER = ("dispatcher", "frontdoor-dispatch")
RETRY_FOR_S = 90.0  # a client gives up on one write after this long without an answer
ANSWER_TIMEOUT_S = 45.0  # longer than gunicorn's worker timeout (30 s)
# No answer, or only part of one (the process died while sending it): the outcome is unknown.
CUT_OFF = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


@dataclass
class Settings:
    seconds: float = 10.0
    min_submissions: int = 0  # run on past ``seconds`` until this many were acknowledged…
    max_seconds: float = 120.0  # …but never longer than this
    residents: int = 8
    crew_threads: int = 2  # per crew account
    photo_share: float = 0.25  # reports sent with a photo
    replay_share: float = 0.2  # reports sent a second time with the same key
    read_share: float = 0.3  # residents who look their report up afterwards
    faults: bool = False  # kill a worker at 1/3 of the run, the whole server at 2/3
    drain_seconds: float = 20.0  # after the residents stop, time to finish the work
    processes: int = 3  # gunicorn workers
    threads: int = 4  # per worker

    @property
    def clients(self) -> int:
        return self.residents + 1 + self.crew_threads * len(CREWS)

    def workers(self) -> Workers:
        """gthread caps the connections each worker takes. With faults, one worker must be
        able to take every client while another restarts: otherwise the clients of a
        killed worker wait in the listen queue until a kept-alive connection times out."""
        if self.faults:
            return Workers(self.processes, self.threads, connections=self.clients + 2)
        return Workers.for_clients(self.clients, self.processes, self.threads)


class Unanswered(Exception):
    """A write that got no answer for RETRY_FOR_S: its outcome is unknown to the client."""


@dataclass
class Answer:
    status: int
    body: object
    headers: dict


class Timings:
    """Latency of every answered HTTP exchange, and the connection errors, per operation."""

    def __init__(self):
        self._lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.retries: dict[str, int] = defaultdict(int)

    def answered(self, operation: str, seconds: float) -> None:
        with self._lock:
            self.latencies[operation].append(seconds)

    def retried(self, operation: str) -> None:
        with self._lock:
            self.retries[operation] += 1


class Api:
    """One person's client: a keep-alive session that retries on connection errors."""

    def __init__(self, base_url: str, timings: Timings, ledger: Ledger):
        self.base_url, self.timings, self.ledger = base_url, timings, ledger
        self.http = requests.Session()
        self.headers: dict[str, str] = {}

    def sign_in(self, username: str, password: str) -> None:
        answer = self.call("sign in", "POST", f"{V1}/auth/login", expect={201},
                           json={"username": username, "password": password})
        self.headers["Authorization"] = f"Bearer {answer.body['token']}"
        self.user = answer.body["user"]

    def call(self, operation: str, method: str, path: str, *, expect: set[int],
             recover: Callable[[], Answer | None] | None = None, **kwargs) -> Answer:
        """Send until answered. Before a retry, ``recover`` may find that the first attempt
        took effect (for writes without an idempotency key)."""
        headers = {**self.headers, **kwargs.pop("headers", {})}
        deadline = time.monotonic() + RETRY_FOR_S
        pause = 0.05
        while True:
            started = time.perf_counter()
            try:
                reply = self.http.request(method, self.base_url + path, headers=headers,
                                          timeout=ANSWER_TIMEOUT_S, **kwargs)
            except CUT_OFF:
                self.timings.retried(operation)
                if time.monotonic() > deadline:
                    raise Unanswered(f"{operation} {path}: no answer for {RETRY_FOR_S:.0f} s")\
                        from None
                time.sleep(pause)
                pause = min(pause * 2, 1.0)
                found = recover() if recover else None
                if found is not None:
                    return found
                continue
            self.timings.answered(operation, time.perf_counter() - started)
            answer = Answer(reply.status_code, _json(reply), dict(reply.headers))
            if answer.status not in expect:
                self.ledger.error(f"{operation} {method} {path}: {answer.status} "
                                  f"{str(answer.body)[:300]}")
            return answer


def _json(reply: requests.Response) -> object:
    try:
        return reply.json()
    except ValueError:
        return None


def photo_bytes(rng: random.Random) -> bytes:
    """A small JPEG of its own (noise, so no two share a content hash)."""
    image = Image.frombytes("RGB", (320, 240), rng.randbytes(320 * 240 * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


# -- the people --------------------------------------------------------------------------

@dataclass
class Shared:
    """What the people of one run share: where to send, what was acknowledged, when to
    stop, and the desk the dispatcher takes new reports from."""

    base_url: str
    ledger: Ledger
    timings: Timings
    settings: Settings
    stop_reporting: threading.Event = field(default_factory=threading.Event)
    stop_working: threading.Event = field(default_factory=threading.Event)
    new_reports: queue.Queue = field(default_factory=queue.Queue)
    crew_queues: dict[int, queue.Queue] = field(default_factory=dict)
    residents_done: threading.Event = field(default_factory=threading.Event)
    dispatch_done: threading.Event = field(default_factory=threading.Event)

    def api(self) -> Api:
        return Api(self.base_url, self.timings, self.ledger)


def resident(shared: Shared, number: int) -> None:
    api, rng = shared.api(), random.Random(number)
    settings, ledger = shared.settings, shared.ledger
    sent = 0
    while not shared.stop_reporting.is_set():
        sent += 1
        key = f"{ledger.run_id}-r{number}-{sent}"
        crew = rng.choice(sorted(CREWS))
        photos = []
        if rng.random() < settings.photo_share:
            photos = [upload_photo(api, f"{key}-photo", photo_bytes(rng), "report")]
        body = report_body(rng, key, CREWS[crew], photos)
        answer = api.call("submit report", "POST", f"{V1}/requests", expect={200, 201},
                          json=body, headers={"Idempotency-Key": key})
        if answer.status not in (200, 201):
            continue
        tracking = answer.body["tracking"]
        ledger.submitted(Submission(key, tracking, body["service_code"], tuple(photos),
                                    answer.status))
        if rng.random() < settings.replay_share:
            again = api.call("replay report", "POST", f"{V1}/requests", expect={200},
                             json=body, headers={"Idempotency-Key": key})
            if again.status == 200:
                ledger.replayed(key, again.body["tracking"])
        if rng.random() < settings.read_share:
            api.call("read report", "GET", f"{V1}/requests/{tracking}", expect={200})
        shared.new_reports.put((tracking, crew))


def report_body(rng: random.Random, key: str, work: dict, photos: list[str]) -> dict:
    lat, lon = CITY_HALL
    return {
        "service_code": work["service"], "attributes": work["attributes"],
        "lat": round(lat + rng.uniform(-0.01, 0.01), 6),
        "lon": round(lon + rng.uniform(-0.01, 0.01), 6),
        "address": f"{rng.randint(100, 999)} N Spring St",
        "description": f"Reported under load {description_marker(key)}.",
        "contact": {"name": "Load Resident", "email": f"{key}@example.org",
                    "phone": "+1 213 555 0199"},
        "photos": photos,
    }


def upload_photo(api: Api, key: str, data: bytes, kind: str) -> str:
    answer = api.call(f"upload {kind} photo", "POST", f"{V1}/photos", expect={200, 201},
                      files={"photo": ("photo.jpg", data, "image/jpeg")}, data={"kind": kind},
                      headers={"Idempotency-Key": key})
    public_id = answer.body["id"]
    api.ledger.photo(key, public_id)
    return public_id


def dispatcher(shared: Shared, crew_ids: dict[str, int]) -> None:
    """Opens a work order for each new report, then assigns them to crews in batches."""
    api = shared.api()
    api.sign_in(*DISPATCHER)
    while True:
        batch = _take_batch(shared.new_reports, 20)
        if not batch:
            if shared.residents_done.is_set() or shared.stop_working.is_set():
                break
            continue
        by_crew: dict[str, list[dict]] = defaultdict(list)
        for tracking, crew in batch:
            made = open_work_order(api, tracking)
            if made is not None:
                by_crew[crew].append(made)
        for crew, work in by_crew.items():
            assign(api, shared, work, crew_ids[crew])
    shared.dispatch_done.set()


def _take_batch(source: queue.Queue, most: int) -> list:
    try:
        batch = [source.get(timeout=0.2)]
    except queue.Empty:
        return []
    while len(batch) < most:
        try:
            batch.append(source.get_nowait())
        except queue.Empty:
            break
    return batch


def open_work_order(api: Api, tracking: str) -> dict | None:
    def existing() -> Answer | None:
        found = api.call("list work orders", "GET", f"{V1}/workorders",
                         params={"tracking": tracking}, expect={200})
        return Answer(201, found.body[0], {}) if found.status == 200 and found.body else None

    answer = api.call("create work order", "POST", f"{V1}/workorders", expect={201},
                      json={"tracking": tracking, "kind": "repair"}, recover=existing)
    if answer.status != 201:
        return None
    api.ledger.work_order(tracking, answer.body["id"])
    return answer.body


def assign(api: Api, shared: Shared, work: list[dict], crew_id: int) -> None:
    """One call for the batch. A retry after a lost answer finds them assigned already
    (skipped): each skipped one is looked at, and taken as assigned if it is."""
    answer = api.call("assign", "POST", f"{V1}/dispatch/assign", expect={200}, json={
        "work_orders": [w["id"] for w in work], "crew_id": crew_id,
        "versions": {str(w["id"]): w["version"] for w in work}})
    if answer.status != 200:
        return
    done = list(answer.body["assigned"])
    for skipped in answer.body["skipped"]:
        now = api.call("read work order", "GET", f"{V1}/workorders/{skipped['id']}",
                       expect={200})
        if now.status == 200 and (now.body.get("crew") or {}).get("id") == crew_id:
            done.append(skipped["id"])
        else:
            api.ledger.error(f"assign: work order {skipped['id']} skipped ({skipped})")
    for work_order_id in done:
        api.ledger.assignment(work_order_id, crew_id)
        shared.crew_queues[crew_id].put(work_order_id)


def crew_member(shared: Shared, username: str, crew_id: int, number: int) -> None:
    """Starts and completes the crew's work; lists it now and then when there is none."""
    api, rng = shared.api(), random.Random(f"{username}-{number}")
    api.sign_in(username, CREW_PASSWORD)
    jobs = shared.crew_queues[crew_id]
    while not shared.stop_working.is_set():
        try:
            work_order_id = jobs.get(timeout=0.3)
        except queue.Empty:
            if shared.dispatch_done.is_set():
                break
            api.call("crew list", "GET", f"{V1}/crew/workorders", expect={200})
            continue
        do_the_work(api, shared.ledger, work_order_id, rng)


def do_the_work(api: Api, ledger: Ledger, work_order_id: int, rng: random.Random) -> None:
    path = f"{V1}/workorders/{work_order_id}"
    seen = api.call("read work order", "GET", path, expect={200})
    if seen.status != 200:
        return
    key = f"{ledger.run_id}-w{work_order_id}"
    started = api.call("start", "POST", f"{path}/actions", expect={200},
                       json={"action": "start"},
                       headers={"If-Match": f'"{seen.body["version"]}"',
                                "Idempotency-Key": f"{key}-start"})
    if started.status != 200:
        return
    ledger.start(work_order_id, api.user["username"])
    photos = []
    if seen.body["request"]["proof_required"]:
        photos = [upload_photo(api, f"{key}-proof", photo_bytes(rng), "proof")]
    completed = api.call("complete", "POST", f"{path}/actions", expect={200},
                         json={"action": "complete", "notes": "Done.", "photos": photos},
                         headers={"If-Match": f'"{started.body["version"]}"',
                                  "Idempotency-Key": f"{key}-complete"})
    if completed.status == 200:
        ledger.completion(work_order_id, api.user["username"])


# -- one run -----------------------------------------------------------------------------

@dataclass
class Outcome:
    database: str
    settings: Settings
    seconds: float  # from the first resident's start to the last one's stop
    timings: Timings
    ledger: Ledger
    proof: Proof
    faults: list[str]
    unanswered: list[str]
    server_errors: list[str]  # what the server logged at level ERROR or above

    @property
    def app_errors(self) -> list[str]:
        """The server's errors, less gunicorn saying that the worker killed on purpose was
        killed."""
        return [line for line in self.server_errors if "was sent SIGKILL" not in line]

    def rows(self) -> list[list]:
        rows = []
        for operation, latencies in sorted(self.timings.latencies.items()):
            ordered = sorted(latencies)
            rows.append([self.database, operation, len(ordered), len(ordered) / self.seconds,
                         _percentile(ordered, 50) * 1000, _percentile(ordered, 99) * 1000,
                         self.timings.retries.get(operation, 0)])
        return rows

    def report(self) -> str:
        table = format_table(["database", "operation", "answered", "per s", "p50 ms",
                              "p99 ms", "retried"], self.rows())
        counted = ", ".join(f"{k} {v}" for k, v in self.proof.counted.items())
        return (f"{table}\n{self.database}: {counted}; faults: {', '.join(self.faults) or 'none'}"
                f"\n{self.database}: lost {self.proof.lost_count}, doubled "
                f"{self.proof.doubled_count}, inconsistent {self.proof.inconsistent_count}, "
                f"unexpected answers {len(self.ledger.errors)}, unanswered "
                f"{len(self.unanswered)}, server errors {len(self.app_errors)}")


def _percentile(ordered: list[float], p: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run_load(database_url: str, settings: Settings, *, data_dir: Path) -> Outcome:
    """Serve the database with gunicorn, run the day against it, then prove the result."""
    database = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    ledger = Ledger(run_id=f"load{uuid.uuid4().hex[:10]}")
    env = {"DATABASE_URL": database_url, "FRONTDOOR_DATA_DIR": str(data_dir),
           "PHOTO_DIR": str(data_dir / "photos")}
    with RestartableGunicorn(env=env, workers=settings.workers()) as server:
        shared = Shared(server.url, ledger, Timings(), settings)
        crew_ids = _crew_ids(shared)
        shared.crew_queues = {crew_id: queue.Queue() for crew_id in crew_ids.values()}
        threads, unanswered = _start_people(shared, crew_ids)
        started = time.monotonic()
        faults = _run_the_day(server, settings, ledger)
        shared.stop_reporting.set()
        for thread in threads["residents"]:
            thread.join()
        seconds = time.monotonic() - started
        shared.residents_done.set()
        _finish_work(shared, threads)
        server_errors = server.error_lines()
    return Outcome(database, settings, seconds, shared.timings, ledger,
                   prove(database_url, ledger), faults, unanswered, server_errors)


def _crew_ids(shared: Shared) -> dict[str, int]:
    """Crew account → the id of its crew, as dispatch knows it."""
    desk = shared.api()
    desk.sign_in(*DISPATCHER)
    listed = desk.call("list crews", "GET", f"{V1}/dispatch/crews", expect={200}).body
    ids = {}
    for username in CREWS:
        member = shared.api()
        member.sign_in(username, CREW_PASSWORD)
        ids[username] = next(c["id"] for c in listed if c["name"] == member.user["crew"])
        member.http.close()
    desk.http.close()
    return ids


def _start_people(shared: Shared, crew_ids: dict[str, int]
                  ) -> tuple[dict[str, list[threading.Thread]], list[str]]:
    unanswered: list[str] = []

    def person(target, *args) -> threading.Thread:
        def run():
            try:
                target(shared, *args)
            except Unanswered as e:
                unanswered.append(str(e))
            except Exception as e:  # a client bug must end the run visibly, not hang it
                shared.ledger.error(f"{target.__name__} stopped: {e!r}")
        thread = threading.Thread(target=run, name=f"{target.__name__}{args}", daemon=True)
        thread.start()
        return thread

    threads = {
        "residents": [person(resident, n) for n in range(shared.settings.residents)],
        "dispatcher": [person(dispatcher, crew_ids)],
        "crews": [person(crew_member, username, crew_id, n)
                  for username, crew_id in crew_ids.items()
                  for n in range(shared.settings.crew_threads)],
    }
    return threads, unanswered


def _run_the_day(server: RestartableGunicorn, settings: Settings, ledger: Ledger
                 ) -> list[str]:
    """Wait out the run; with faults, kill a worker after a third of it and the whole
    server after two thirds. A third is one of time and of ``min_submissions`` both, so on
    a slow machine the faults still fall amid acknowledged work."""
    faults = []
    started = time.monotonic()

    def wait_for(share: float) -> None:
        while time.monotonic() - started < settings.max_seconds and (
                time.monotonic() - started < settings.seconds * share
                or len(ledger.submissions) < settings.min_submissions * share):
            time.sleep(0.05)

    if settings.faults:
        wait_for(1 / 3)
        faults.append(f"worker {server.kill_worker()} killed at "
                      f"{time.monotonic() - started:.1f} s")
        wait_for(2 / 3)
        server.restart()
        faults.append(f"server killed and restarted, serving again at "
                      f"{time.monotonic() - started:.1f} s")
    wait_for(1)
    return faults


def _finish_work(shared: Shared, threads: dict[str, list[threading.Thread]]) -> None:
    """Let the dispatcher and crews finish what was reported, for a bounded time."""
    deadline = time.monotonic() + shared.settings.drain_seconds
    for thread in threads["dispatcher"] + threads["crews"]:
        thread.join(max(0.0, deadline - time.monotonic()))
    shared.stop_working.set()
    for thread in threads["dispatcher"] + threads["crews"]:
        thread.join(RETRY_FOR_S)
