"""How many refusals the gateway records and answers, per sender and reason.

Why: every refused message used to cost a row in the rejection table, a log line and, for an
undecodable one, a ``rejected`` ack back to the device whose topic it came in on. A device (or
anything that can publish there) sending garbage in a loop therefore grew the table and the log
without bound and had the gateway relay its garbage. Now each (topic, reason) may cost a row
and an answer ``burst`` times, then one per ``interval_ms``; what is held back in between is
counted and written with the next recorded one ("and N like it"), so the report still says how
much came, and storage grows with time, not with the flood.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class _Bucket:
    tokens: float
    at_ms: int
    held_back: int = 0


@dataclass
class RejectionLimit:
    """A token bucket per (topic, reason): ``burst`` at once, refilled one per ``interval_ms``."""

    burst: int = 5
    interval_ms: int = 60_000
    max_keys: int = 10_000
    """Senders tracked at once; the oldest are forgotten first (a flood of distinct topics
    costs bounded memory, and only ever lets more rows through, never fewer)."""
    _buckets: dict[tuple[str, str], _Bucket] = field(default_factory=dict)

    def admit(self, topic: str, reason: str, now_ms: int) -> int | None:
        """None: hold this refusal back (counted). Otherwise record and answer it, together
        with the returned number of like ones held back since the last recorded one."""
        key = (topic, reason)
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                del self._buckets[next(iter(self._buckets))]
            bucket = self._buckets[key] = _Bucket(float(self.burst), now_ms)
        elapsed = max(0, now_ms - bucket.at_ms)
        bucket.tokens = min(float(self.burst), bucket.tokens + elapsed / self.interval_ms)
        bucket.at_ms = now_ms
        if bucket.tokens < 1:
            bucket.held_back += 1
            return None
        bucket.tokens -= 1
        held, bucket.held_back = bucket.held_back, 0
        return held
