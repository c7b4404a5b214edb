"""What the server acknowledged during a load run, as the clients saw it: the record that
``tests.load.proof`` holds the database to afterwards. Threads write it at once."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Submission:
    key: str
    tracking: str
    service_code: str
    photos: tuple[str, ...]
    first_answer: int  # 201, or 200 when a retry found the first attempt had been stored


@dataclass
class Ledger:
    run_id: str
    submissions: dict[str, Submission] = field(default_factory=dict)  # idempotency key →
    photos: dict[str, str] = field(default_factory=dict)  # idempotency key → photo id
    replays: int = 0
    replay_mismatches: list[tuple[str, str, str]] = field(default_factory=list)
    work_orders: dict[str, int] = field(default_factory=dict)  # tracking → work order id
    assigned: dict[int, int] = field(default_factory=dict)  # work order → crew id
    started: dict[int, str] = field(default_factory=dict)  # work order → username
    completed: dict[int, str] = field(default_factory=dict)  # work order → username
    errors: list[str] = field(default_factory=list)  # answers no client should ever get
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def submitted(self, submission: Submission) -> None:
        with self._lock:
            self.submissions[submission.key] = submission

    def replayed(self, key: str, tracking: str) -> None:
        with self._lock:
            self.replays += 1
            first = self.submissions[key].tracking
            if tracking != first:
                self.replay_mismatches.append((key, first, tracking))

    def photo(self, key: str, public_id: str) -> None:
        with self._lock:
            self.photos[key] = public_id

    def work_order(self, tracking: str, work_order_id: int) -> None:
        with self._lock:
            self.work_orders[tracking] = work_order_id

    def assignment(self, work_order_id: int, crew_id: int) -> None:
        with self._lock:
            self.assigned[work_order_id] = crew_id

    def start(self, work_order_id: int, username: str) -> None:
        with self._lock:
            self.started[work_order_id] = username

    def completion(self, work_order_id: int, username: str) -> None:
        with self._lock:
            self.completed[work_order_id] = username

    def error(self, message: str) -> None:
        with self._lock:
            self.errors.append(message)
