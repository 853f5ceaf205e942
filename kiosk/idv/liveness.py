"""Challenge-response liveness (ISO/IEC 30107-3 calls it presentation attack detection by
challenge-response): the person performs 3 gestures in an order drawn at random for this
session, each prompt shown after a random wait, each answer begun within a short window.

Why this stops a print or a replayed clip: a photo performs no gesture, and a recording
performs its gestures at the times it was recorded. The kiosk draws *what* it asks (3 of
turn left, turn right, nod, open mouth, in a uniform order) and *when* (a wait of 0.5-6.5 s
before each prompt, from the head being at rest), and an answer counts only if it begins
``min_reaction_s`` to ``answer_window_s`` after its prompt. What a recording could use to
cover many prompt times fails the session: a head turn made while the kiosk waits to
prompt, or the gesture about to be asked (``IDV_LIVENESS_BEFORE_PROMPT``); a nod or open
mouth repeated unasked during the waits (``IDV_LIVENESS_UNPROMPTED_RHYTHM``); a turn other
than the one asked (``IDV_LIVENESS_WRONG_ACTION``); a gesture begun sooner after its prompt
than a person can react (``IDV_LIVENESS_TOO_EARLY``). So each prompt is answered, if at
all, by the recording's first gesture after the wait began, at a time it cannot choose:
``chance_pass_bound`` computes from the policy the most a fixed recording can pass (0.92%
by default). Natural blinks never count against anyone, which is why blinks are not drawn
by default: they answer a blink prompt by chance.

The same face must be followed through the whole session. The tracker gives each
continuous sighting a track id; when it changes (the face left, someone else stepped in),
gestures stop counting until the caller has compared a fresh descriptor with the one taken
at the start (``identity_checked``); a different face fails the session. The caller also
checks identity every second or so, so a swap the tracker followed smoothly is caught too.

The session is a pure state machine over timestamps: it never reads a clock, so a clip and
a live camera are judged the same way, and tests replay exact timings.

It also watches the frame rate it is actually fed (a busy kiosk CPU analyses fewer frames
than the camera gives). A blink is over in 100-400 ms, so below ``blink_min_fps`` it may
fall between two frames: a blink drawn for such a session is replaced, when it is about
to be shown, by a gesture that is held (an open mouth, a nod), drawn at random among those
not yet in the session. The report names the replacement, so nothing is hidden.
"""

from __future__ import annotations

import itertools
import math
import random
import secrets
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum

from kiosk.idv.analysis import FrameAnalysis
from kiosk.idv.gestures import Gesture, GestureDetector, GestureEvent, GestureThresholds
from kiosk.idv.quality import QualityIssue

TURNS = frozenset({Gesture.TURN_LEFT, Gesture.TURN_RIGHT})
HELD_GESTURES = (Gesture.TURN_LEFT, Gesture.TURN_RIGHT, Gesture.NOD, Gesture.OPEN_MOUTH)


class Phase(StrEnum):
    BASELINE = "baseline"
    CHALLENGE = "challenge"
    PASSED = "passed"
    FAILED = "failed"


class LivenessFailure(StrEnum):
    TIMEOUT = "IDV_LIVENESS_TIMEOUT"
    WRONG_ACTION = "IDV_LIVENESS_WRONG_ACTION"
    TOO_EARLY = "IDV_LIVENESS_TOO_EARLY"
    BEFORE_PROMPT = "IDV_LIVENESS_BEFORE_PROMPT"
    UNPROMPTED_RHYTHM = "IDV_LIVENESS_UNPROMPTED_RHYTHM"
    FACE_LOST = "IDV_LIVENESS_FACE_LOST"
    FACE_CHANGED = "IDV_LIVENESS_FACE_CHANGED"
    MULTIPLE_FACES = "IDV_LIVENESS_MULTIPLE_FACES"
    NO_BASELINE = "IDV_LIVENESS_NO_BASELINE"


@dataclass(frozen=True, slots=True)
class LivenessPolicy:
    min_challenges: int = 3
    max_challenges: int = 3
    challenges: tuple[Gesture, ...] = HELD_GESTURES
    """Blinks are left out by default: people blink every few seconds on their own, so a
    recording answers a blink prompt by chance about half the time whenever it comes, and
    a blink before a prompt cannot be held against anyone (see ``chance_pass_bound``)."""
    time_limit_s: float = 7.0
    """Per challenge, from the moment it is shown, to the answer's confirmation (a backstop:
    the answer must also *begin* within ``answer_window_s``)."""
    answer_window_s: float = 3.0
    """The answer must begin (first frame beyond the threshold) at most this long after its
    prompt is shown: 0.3-1.5 s of human reaction, the movement up to the threshold, and up
    to two frame intervals on a slow CPU. The shorter it is, the fewer random prompt times
    a fixed recording can hit by chance."""
    gap_min_s: float = 0.5
    gap_max_s: float = 6.5
    gap_step_s: float = 0.25
    """Before each prompt the kiosk waits, with "look at the camera" on screen, a time drawn
    uniformly from ``gap_min_s``, ``gap_min_s + gap_step_s``, ... ``gap_max_s``, counted
    from the moment the head is at rest. A recording cannot know when the prompt comes."""
    max_frame_interval_s: float = 0.2
    """The longest gap between analysed frames the kiosk runs with (the self-test fails a
    camera below 5 frames a second): a prompt appears on the first frame after its time,
    so up to this much later, which widens the times a recording can hit."""
    rhythm_max_unprompted: int = 2
    """A held gesture (nod, open mouth) made this many times unasked during the waits, when it
    is still to be asked for, is a rhythm of the recording's own, not an answer
    (``IDV_LIVENESS_UNPROMPTED_RHYTHM``)."""
    baseline_timeout_s: float = 10.0
    max_face_gap_s: float = 1.0
    min_reaction_s: float = 0.35
    """Human visual reaction (~0.25 s) plus the time to move a head past the turn threshold."""
    neutral_yaw: float = 10.0
    neutral_pitch: float = 8.0
    """How close to the resting pose the head must come back before the next prompt."""
    identity_max_distance: float = 0.55
    """Descriptor distance beyond which the face is taken for someone else. Loose on
    purpose: it compares the person with themselves seconds earlier, at other poses."""
    identity_persist_s: float = 0.6
    """How long comparisons must stay beyond ``identity_max_distance`` to end the session.
    Frames caught mid-movement (blurred, landmarks mis-fitted) read 0.59-0.65 from the same
    person for up to 0.3 s in zubair/real.webm; another person reads far on every frame.
    After a far reading gestures pause until a near one."""
    identity_certain_distance: float = 0.75
    """One reading beyond this ends the session at once: no frame of the same person in
    the shared clips reads this far, blurred or turned."""
    require_turn: bool = True
    """Every draw includes a head turn. Blinks, nods and an open mouth also happen on their
    own while people talk, so a recording answers them by chance; a turn in a random
    direction, at the right moment, it does not (measured in tests/idv)."""
    fixed_order: tuple[Gesture, ...] | None = None
    """Demo and tests only; the production config refuses it."""
    blink_min_fps: float = 12.0
    """Frames analysed per second below which a blink is not asked for: the lids are shut
    for about two thirds of a 100-400 ms blink, so a frame must come at least every ~80 ms
    to see the shortest ones. Held gestures (turns, nod, open mouth) work down to the
    kiosk's minimum rate (``min_fps``, checked by the self-test)."""
    describe_min_fps: float = 12.0
    """At or above this analysed rate the face session also checks identity while a prompt
    awaits its answer; below it, a descriptor (ten frames' worth of CPU) would blind the
    session through a whole gesture, so identity is confirmed instead after each answer,
    before the next prompt is shown."""
    rate_window_s: float = 2.0
    """The frame rate is measured over the frames of the last this many seconds."""
    gestures: GestureThresholds = field(default_factory=GestureThresholds)


def _valid_order(policy: LivenessPolicy, order: tuple[Gesture, ...]) -> bool:
    turns = [g for g in policy.challenges if g in TURNS]
    return not (policy.require_turn and turns) or bool(TURNS & set(order))


def draw_challenges(policy: LivenessPolicy, rng: random.Random | None = None) -> list[Gesture]:
    """The session's challenges: a count drawn uniformly from ``min_challenges`` to
    ``max_challenges``, then an order drawn uniformly among the orders of that many
    distinct gestures (with a head turn, when ``require_turn``), from the operating
    system's random source. Uniform, so that ``chance_pass_bound`` is exact about it."""
    if policy.fixed_order is not None:
        return list(policy.fixed_order)
    rng = rng or secrets.SystemRandom()
    count = rng.randint(policy.min_challenges, policy.max_challenges)
    pool = list(dict.fromkeys(policy.challenges))
    while True:
        order = rng.sample(pool, count)
        if _valid_order(policy, tuple(order)):
            return order


def prompt_gaps(policy: LivenessPolicy) -> list[float]:
    """Every wait before a prompt the policy can draw, each as likely as the others."""
    if policy.gap_max_s < policy.gap_min_s or policy.gap_step_s <= 0:
        raise ValueError("the prompt gaps need gap_min_s <= gap_max_s and gap_step_s > 0")
    steps = math.floor((policy.gap_max_s - policy.gap_min_s) / policy.gap_step_s + 1e-9)
    return [round(policy.gap_min_s + i * policy.gap_step_s, 6) for i in range(steps + 1)]


def draw_gap(policy: LivenessPolicy, rng: random.Random) -> float:
    return rng.choice(prompt_gaps(policy))


def timing_hit_probability(policy: LivenessPolicy) -> float:
    """The most a gesture at a fixed time can hit the answer window of a prompt whose wait
    is drawn from ``prompt_gaps``: an answer counts when it begins between
    ``min_reaction_s`` and ``answer_window_s`` after the prompt, so over the draws of the
    gap that is at most the largest number of gaps inside any interval of
    ``answer_window_s - min_reaction_s`` (plus ``max_frame_interval_s``: the prompt appears
    on the first analysed frame after its time), over their number (exhaustive)."""
    gaps = prompt_gaps(policy)
    answer = min(policy.answer_window_s, policy.time_limit_s) - policy.min_reaction_s
    width = max(0.0, answer) + policy.max_frame_interval_s
    best = max(sum(1 for g in gaps if low - 1e-9 <= g <= low + width + 1e-9) for low in gaps)
    return best / len(gaps)


def chance_pass_bound(policy: LivenessPolicy) -> float:
    """Upper bound on the chance that a fixed recording passes one session drawn by this
    policy (issue 15: at most 1%). Exhaustive over the policy's draws.

    What a recording can do, under the session's rules: every head turn made while the
    kiosk waits to show a prompt fails, a turn other than the one asked fails, and a held
    gesture of the kind about to be asked made during the wait fails. So each prompt is
    answered, if at all, by the recording's *first* gesture after the wait began: a turn
    in one direction, or any mix of non-turn gestures at once (a nod with an open mouth
    answers either). Its time is fixed by the recording, the prompt's by the random gap,
    so it lands in the answer window with probability at most ``timing_hit_probability``
    (a blink, which people make every few seconds on their own, is counted as hit every
    time). The bound takes, for each count of challenges, the recording's best sequence
    of such answers against every order the policy can draw, with its probability."""
    if policy.fixed_order is not None:
        return 1.0
    tau = timing_hit_probability(policy)
    pool = list(dict.fromkeys(policy.challenges))
    counts = range(policy.min_challenges, policy.max_challenges + 1)
    total = 0.0
    for n in counts:
        orders = [o for o in itertools.permutations(pool, n) if _valid_order(policy, o)]
        if not orders:
            continue
        answers = ("turn_left", "turn_right", "other")

        def hit(answer: str, asked: Gesture) -> float:
            if asked in TURNS:
                return tau if answer == asked.value else 0.0
            if answer != "other":
                return 0.0
            return 1.0 if asked is Gesture.BLINK else tau

        best = 0.0
        for script in itertools.product(answers, repeat=n):
            chance = 0.0
            for order in orders:
                p = 1.0
                for answer, asked in zip(script, order, strict=True):
                    p *= hit(answer, asked)
                chance += p
            best = max(best, chance / len(orders))
        total += best / len(counts)
    return total


@dataclass(frozen=True, slots=True)
class ChallengeReport:
    challenge: Gesture
    issued_at: float | None
    completed_at: float | None
    seen: tuple[tuple[str, float], ...]
    """Every gesture seen while this challenge was shown, with its start time."""
    replaced: Gesture | None = None
    """The gesture first drawn for this place, when the frame rate was too low for it."""
    fps: float | None = None
    """Frames analysed per second when the challenge was shown."""
    gap_s: float | None = None
    """The random wait drawn before this prompt, from the head being at rest."""
    unprompted: tuple[tuple[str, float], ...] = ()
    """Gestures seen during that wait, before the prompt, with their start times."""


@dataclass(frozen=True, slots=True)
class LivenessReport:
    passed: bool
    reason: str | None
    challenges: tuple[ChallengeReport, ...]
    started_at: float | None
    finished_at: float | None
    quality_rejections: dict[str, int]

    def as_dict(self) -> dict[str, object]:
        return {
            "passed": self.passed,
            "reason": self.reason,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "challenges": [
                {
                    "challenge": c.challenge.value,
                    "issued_at": c.issued_at,
                    "completed_at": c.completed_at,
                    "seen": [{"gesture": g, "at": round(at, 3)} for g, at in c.seen],
                    "replaced": c.replaced.value if c.replaced else None,
                    "fps": round(c.fps, 1) if c.fps is not None else None,
                    "gap_s": c.gap_s,
                    "unprompted": [{"gesture": g, "at": round(at, 3)} for g, at in c.unprompted],
                }
                for c in self.challenges
            ],
            "quality_rejections": self.quality_rejections,
        }


@dataclass
class _Slot:
    challenge: Gesture
    issued_at: float | None = None
    completed_at: float | None = None
    seen: list[tuple[str, float]] = field(default_factory=list)
    replaced: Gesture | None = None
    fps: float | None = None
    rest_at: float | None = None
    """When the head was first at rest for this prompt: the wait starts there."""
    gap_s: float | None = None
    unprompted: list[tuple[str, float]] = field(default_factory=list)

    @property
    def due_at(self) -> float | None:
        if self.rest_at is None or self.gap_s is None:
            return None
        return self.rest_at + self.gap_s


class LivenessSession:
    def __init__(
        self,
        challenges: list[Gesture],
        policy: LivenessPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if not challenges:
            raise ValueError("a liveness session needs at least one challenge")
        self.policy = policy or LivenessPolicy()
        self._rng = rng or secrets.SystemRandom()
        self._frame_times: deque[float] = deque()
        self._slots = [_Slot(c) for c in challenges]
        self._detector = GestureDetector(self.policy.gestures)
        self.phase = Phase.BASELINE
        self.reason: str | None = None
        self._index = 0
        self._started_at: float | None = None
        self._finished_at: float | None = None
        self._last_face_at: float | None = None
        self._track_id: int | None = None
        self._identity_pending = False
        self._far_since: float | None = None
        self.descriptor_blinds = False
        """Set by the face session when the last descriptor held up the frames too long."""
        self._rejections: dict[str, int] = {}
        self._challenges_from: float | None = None
        self._unprompted: dict[Gesture, int] = {}
        self._in_place = True

    # -- what the UI shows -------------------------------------------------------------
    @property
    def current(self) -> Gesture | None:
        """The prompt on screen: ``None`` while the kiosk waits to show the next one (the
        screen then says "look at the camera"), so nobody sees a prompt before its time."""
        return self._slots[self._index].challenge if self.awaiting_answer else None

    @property
    def awaiting_answer(self) -> bool:
        """A prompt is on screen and not yet answered: the moment not to miss frames."""
        if self.phase is not Phase.CHALLENGE:
            return False
        return self._slots[self._index].issued_at is not None

    @property
    def describes_during_prompts(self) -> bool:
        """Whether the frame rate leaves room for identity checks during a prompt, and the
        last descriptor did not leave a gap in the frames a gesture could fall into (the
        face session reports that: ``descriptor_blinds``)."""
        fps = self.fps()
        fast = fps is None or fps >= self.policy.describe_min_fps
        return fast and not self.descriptor_blinds

    @property
    def needs_identity_check(self) -> bool:
        """The tracked face changed: compare a descriptor of this face with the session's
        and call ``identity_checked`` before gestures count again."""
        return self._identity_pending

    def fps(self) -> float | None:
        """Frames analysed per second over the last ``rate_window_s``; ``None`` until two."""
        times = self._frame_times
        if len(times) < 2 or times[-1] <= times[0]:
            return None
        return (len(times) - 1) / (times[-1] - times[0])

    def remaining_s(self, now: float) -> float | None:
        slot = self._slots[self._index] if self.phase is Phase.CHALLENGE else None
        if slot is None or slot.issued_at is None:
            return None
        return max(0.0, self.policy.time_limit_s - (now - slot.issued_at))

    # -- feeding ----------------------------------------------------------------------
    def observe(self, frame: FrameAnalysis) -> Phase:
        if self.phase in (Phase.PASSED, Phase.FAILED):
            return self.phase
        t = frame.timestamp
        if self._started_at is None:
            self._started_at = t
        self._frame_times.append(t)
        while t - self._frame_times[0] > self.policy.rate_window_s:
            self._frame_times.popleft()
        for issue in frame.issues:
            self._rejections[issue.value] = self._rejections.get(issue.value, 0) + 1
        face = frame.face
        if face is None or QualityIssue.MULTIPLE_FACES in frame.issues:
            self._detector.update(t, None)
            gap_since = self._last_face_at if self._last_face_at is not None else t
            if self.phase is Phase.CHALLENGE and t - gap_since > self.policy.max_face_gap_s:
                several = face is not None
                return self._fail(
                    LivenessFailure.MULTIPLE_FACES if several else LivenessFailure.FACE_LOST, t
                )
            return self._check_deadlines(t)
        self._last_face_at = t
        if self._track_id is None:
            self._track_id = face.track_id
        elif face.track_id != self._track_id:
            self._track_id = face.track_id
            self._identity_pending = True
        if self._identity_pending:
            self._detector.update(t, None)
            return self._check_deadlines(t)
        events = self._detector.update(t, frame.measures)
        if self.phase is Phase.BASELINE:
            if self._detector.baseline is None:
                return self._check_deadlines(t)
            self.phase = Phase.CHALLENGE
            self._challenges_from = t
        # A face smaller than the quality gate's minimum is not someone at the kiosk (it is
        # also what the tracker briefly follows on the wall when a person steps away): what
        # it does counts neither for nor against the session.
        self._in_place = QualityIssue.TOO_FAR not in frame.issues
        if self._slots[self._index].issued_at is None:
            return self._wait(t, events)
        for event in events:
            self._on_event(event)
            if self.phase is not Phase.CHALLENGE:
                return self.phase
        return self._check_deadlines(t)

    def identity_checked(self, distance: float, t: float) -> Phase:
        """The descriptor distance between this face and the session's first one."""
        if self.phase in (Phase.PASSED, Phase.FAILED):
            return self.phase
        if distance > self.policy.identity_max_distance:
            if self._far_since is None:
                self._far_since = t
            certain = distance > self.policy.identity_certain_distance
            if certain or t - self._far_since >= self.policy.identity_persist_s:
                return self._fail(LivenessFailure.FACE_CHANGED, t)
            self._identity_pending = True
            return self.phase
        self._far_since = None
        self._identity_pending = False
        return self.phase

    def _wait(self, t: float, events: list[GestureEvent]) -> Phase:
        """Before a prompt: wait for the head to come to rest, then a random gap; watch
        what is done meanwhile, since nothing has been asked."""
        slot = self._slots[self._index]
        if slot.rest_at is None:
            if not self._is_neutral():
                return self._check_deadlines(t)
            slot.rest_at, slot.gap_s = t, draw_gap(self.policy, self._rng)
        for event in events:
            self._before_prompt(event)
            if self.phase is not Phase.CHALLENGE:
                return self.phase
        due = slot.due_at
        if due is not None and t >= due:
            # At its time, whatever the pose: a prompt that waited for the head would let a
            # recording that holds its head off-centre choose when the prompt appears.
            self._issue(t)
        return self._check_deadlines(t)

    def _before_prompt(self, event: GestureEvent) -> None:
        """A gesture begun while the kiosk waited to show the current prompt. A head turn
        nobody asked for, or the very gesture about to be asked, is a recording running on
        its own time (``IDV_LIVENESS_BEFORE_PROMPT``); a nod or open mouth repeated during
        the waits, when it is still to be asked, is a rhythm of its own
        (``IDV_LIVENESS_UNPROMPTED_RHYTHM``). Blinks never count: people blink anyway."""
        slot = self._slots[self._index]
        if slot.rest_at is None or event.start < slot.rest_at or not self._in_place:
            return  # still coming back from the previous answer, or nobody in place
        gesture = event.gesture
        slot.unprompted.append((gesture.value, event.start))
        if gesture is Gesture.BLINK:
            return
        if gesture in TURNS or gesture is slot.challenge:
            self._fail(LivenessFailure.BEFORE_PROMPT, event.confirmed)
            return
        count = self._unprompted.get(gesture, 0) + 1
        self._unprompted[gesture] = count
        still_to_ask = {s.challenge for s in self._slots[self._index :]}
        if gesture in still_to_ask and count >= self.policy.rhythm_max_unprompted:
            self._fail(LivenessFailure.UNPROMPTED_RHYTHM, event.confirmed)

    def _issue(self, t: float) -> None:
        """Show the current challenge from ``t``, first swapping a blink for a held gesture
        when the frames come too slowly to see one."""
        slot = self._slots[self._index]
        slot.issued_at, slot.fps = t, self.fps()
        if slot.challenge is not Gesture.BLINK or slot.fps is None:
            return
        if slot.fps >= self.policy.blink_min_fps:
            return
        drawn = {s.challenge for s in self._slots}
        usable = [g for g in self.policy.challenges if g not in drawn and g not in TURNS]
        usable = usable or [g for g in self.policy.challenges if g not in drawn]
        if usable:
            slot.replaced, slot.challenge = slot.challenge, self._rng.choice(usable)

    def _is_neutral(self) -> bool:
        angles = self._detector.smoothed_angles()
        if angles is None:
            return False
        yaw, pitch = angles
        return abs(yaw) <= self.policy.neutral_yaw and abs(pitch) <= self.policy.neutral_pitch

    def _on_event(self, event: GestureEvent) -> None:
        slot = self._slots[self._index]
        assert slot.issued_at is not None
        if event.start < slot.issued_at:
            # Begun before the challenge was shown (confirmed only now): it answers nothing,
            # and is judged as a gesture made during the wait.
            self._before_prompt(event)
            return
        if not self._in_place:
            return  # nobody in place at the kiosk: neither an answer nor a wrong one
        slot.seen.append((event.gesture.value, event.start))
        asked = event.gesture is slot.challenge
        held = event.gesture in TURNS or (asked and event.gesture is not Gesture.BLINK)
        if held and event.start < slot.issued_at + self.policy.min_reaction_s:
            self._fail(LivenessFailure.TOO_EARLY, event.confirmed)
            return
        if asked and event.start > slot.issued_at + self._answer_window():
            self._fail(LivenessFailure.TIMEOUT, event.confirmed)  # begun too late
            return
        if asked:
            slot.completed_at = event.confirmed
            self._index += 1
            if self._index == len(self._slots):
                self.phase = Phase.PASSED
                self._finished_at = event.confirmed
            elif not self.describes_during_prompts:
                self._identity_pending = True  # the same face, before the next prompt
            # The next prompt waits until the head is back at rest (see observe).
            return
        if event.gesture in TURNS:
            # A head turn nobody asked for: what a replayed recording does.
            self._fail(LivenessFailure.WRONG_ACTION, event.confirmed)

    def _check_deadlines(self, t: float) -> Phase:
        if self.phase is Phase.BASELINE:
            assert self._started_at is not None
            if t - self._started_at > self.policy.baseline_timeout_s:
                return self._fail(LivenessFailure.NO_BASELINE, t)
        elif self.phase is Phase.CHALLENGE:
            slot = self._slots[self._index]
            since = slot.issued_at
            if since is None and slot.rest_at is None:
                # Not yet back at rest after the previous answer (or the baseline).
                previous = self._slots[self._index - 1].completed_at if self._index else None
                since = previous if previous is not None else self._challenges_from
            if since is not None and t - since > self.policy.time_limit_s:
                return self._fail(LivenessFailure.TIMEOUT, t)
            if slot.issued_at is not None and t - slot.issued_at > self._answer_window():
                begun = self._detector.pending_start(slot.challenge)
                if begun is None or begun > slot.issued_at + self._answer_window():
                    return self._fail(LivenessFailure.TIMEOUT, t)
        return self.phase

    def _answer_window(self) -> float:
        return min(self.policy.answer_window_s, self.policy.time_limit_s)

    def _fail(self, reason: LivenessFailure, t: float) -> Phase:
        self.phase = Phase.FAILED
        self.reason = reason.value
        self._finished_at = t
        return self.phase

    def report(self) -> LivenessReport:
        return LivenessReport(
            passed=self.phase is Phase.PASSED,
            reason=self.reason,
            challenges=tuple(
                ChallengeReport(
                    s.challenge,
                    s.issued_at,
                    s.completed_at,
                    tuple(s.seen),
                    s.replaced,
                    s.fps,
                    s.gap_s,
                    tuple(s.unprompted),
                )
                for s in self._slots
            ),
            started_at=self._started_at,
            finished_at=self._finished_at,
            quality_rejections=dict(self._rejections),
        )
