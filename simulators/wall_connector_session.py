"""The Wall Connector stand-in's charging session as a pure function of elapsed time.

A script of steps (unplugged, plugged, charging, paused, finished, unplugging) repeats
forever. Every value a test needs is computed in closed form from the elapsed seconds
and the reboot times, so tests can predict what the simulator serves at any moment.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from enum import StrEnum
import math
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Sequence

# How long the unit reports evse_state 0 (booting) after a reboot; no source gives a figure.
BOOT_SECONDS: Final = 30.0


class Stage(StrEnum):
    """Where the session is, as the unit's vitals show it (docs/wall-connector.md#sessions)."""

    UNPLUGGED = "unplugged"
    PLUGGED = "plugged"
    CHARGING = "charging"
    PAUSED = "paused"
    FINISHED = "finished"
    UNPLUGGING = "unplugging"
    BOOTING = "booting"


CONNECTED: Final = frozenset({Stage.PLUGGED, Stage.CHARGING, Stage.PAUSED, Stage.FINISHED})

# evse_state per stage: HA's map, plus 13 "soon after unplugging" from the community table.
EVSE_CODES: Final = {
    Stage.BOOTING: 0,
    Stage.UNPLUGGED: 1,
    Stage.PLUGGED: 4,
    Stage.PAUSED: 9,
    Stage.FINISHED: 8,
    Stage.CHARGING: 11,
    Stage.UNPLUGGING: 13,
}


@dataclass(frozen=True, slots=True)
class Step:
    """One stretch of the script; while charging, the current ramps from amps to end_amps."""

    stage: Stage
    seconds: float
    amps: float = 0.0
    end_amps: float | None = None

    def __post_init__(self) -> None:
        """Refuse steps the model cannot integrate."""
        if not self.seconds > 0:
            raise ValueError(f"step {self.stage}: seconds must be positive")
        if self.stage is Stage.BOOTING:
            raise ValueError("booting comes from reboot(), not from the script")
        if self.stage is not Stage.CHARGING and (self.amps or self.end_amps):
            raise ValueError(f"step {self.stage}: only charging steps draw current")
        if self.amps < 0 or (self.end_amps or 0) < 0:
            raise ValueError("amps must not be negative")

    def amps_at(self, into: float) -> float:
        """Return the current `into` seconds after the step starts."""
        end = self.amps if self.end_amps is None else self.end_amps
        return self.amps + (end - self.amps) * into / self.seconds

    def amp_seconds(self, into: float) -> float:
        """Return the integral of the current over the first `into` seconds."""
        return (self.amps + self.amps_at(into)) / 2 * into


def default_script(*, three_phase: bool = False) -> tuple[Step, ...]:
    """Return a realistic evening: plug in, charge, taper, pause, resume, finish, unplug."""
    full = 16.0 if three_phase else 48.0
    low = 6.0 if three_phase else 8.0
    return (
        Step(Stage.UNPLUGGED, 600),
        Step(Stage.PLUGGED, 60),
        Step(Stage.CHARGING, 3600, full),
        Step(Stage.CHARGING, 900, full, low),  # taper near full
        Step(Stage.PAUSED, 300),  # contactor open, car still connected
        Step(Stage.CHARGING, 600, low),  # resume
        Step(Stage.FINISHED, 600),
        Step(Stage.UNPLUGGING, 5),
    )


@dataclass(frozen=True, slots=True)
class Counters:
    """Lifetime counters one completed session adds when the car is unplugged."""

    amp_seconds: float = 0.0
    charging_s: float = 0.0
    contactor_closes: int = 0
    sessions: int = 0

    def __add__(self, other: Counters) -> Counters:
        """Return the sum of two counter sets."""
        return Counters(
            self.amp_seconds + other.amp_seconds,
            self.charging_s + other.charging_s,
            self.contactor_closes + other.contactor_closes,
            self.sessions + other.sessions,
        )

    def times(self, count: int) -> Counters:
        """Return the counters of `count` identical cycles."""
        return Counters(
            self.amp_seconds * count,
            self.charging_s * count,
            self.contactor_closes * count,
            self.sessions * count,
        )


@dataclass(frozen=True, slots=True)
class Moment:
    """Everything the unit would report `elapsed` seconds after the simulator started."""

    elapsed: float
    stage: Stage
    amps: float
    uptime_s: int
    session_s: int
    session_amp_seconds: float | None
    lifetime: Counters
    last_unplug: float


class SessionScript:
    """The script, cycled forever, with reboots overlaid; all methods are pure."""

    def __init__(self, steps: Sequence[Step]) -> None:
        """Index the steps; the script must start unplugged so sessions never straddle cycles."""
        if not steps:
            raise ValueError("a script needs at least one step")
        if steps[0].stage in CONNECTED:
            raise ValueError("a script must start with the vehicle unplugged")
        self.steps = tuple(steps)
        self.starts: tuple[float, ...] = tuple(
            math.fsum(step.seconds for step in self.steps[:i]) for i in range(len(self.steps))
        )
        self.cycle_s = math.fsum(step.seconds for step in self.steps)
        self.sessions = self._sessions()
        self.per_cycle = sum((session[2] for session in self.sessions), Counters())

    def _sessions(self) -> tuple[tuple[float, float, Counters], ...]:
        """Return (plug-in, unplug, counters) for each session of one cycle."""
        found: list[tuple[float, float, Counters]] = []
        begin: float | None = None
        counters = Counters()
        previous: Stage | None = None
        for start, step in zip(self.starts, self.steps, strict=True):
            connected = step.stage in CONNECTED
            if connected and begin is None:
                begin, counters = start, Counters(sessions=1)
            if not connected and begin is not None:
                found.append((begin, start, counters))
                begin = None
            if step.stage is Stage.CHARGING:
                closes = 0 if previous is Stage.CHARGING else 1
                counters += Counters(step.amp_seconds(step.seconds), step.seconds, closes)
            previous = step.stage
        if begin is not None:
            found.append((begin, self.cycle_s, counters))
        return tuple(found)

    def locate(self, elapsed: float) -> tuple[int, int, float]:
        """Return (cycle, step index, seconds into the step)."""
        cycle, into_cycle = divmod(elapsed, self.cycle_s)
        index = bisect_right(self.starts, into_cycle) - 1
        return int(cycle), index, into_cycle - self.starts[index]

    def step_at(self, elapsed: float) -> Step:
        """Return the scripted step at `elapsed`, reboots aside."""
        return self.steps[self.locate(elapsed)[1]]

    def _cumulative(self, elapsed: float) -> tuple[float, float]:
        """Return (amp-seconds, charging seconds) of the bare script from 0 to `elapsed`."""
        if elapsed <= 0:
            return 0.0, 0.0
        cycle, index, into = self.locate(elapsed)
        step = self.steps[index]
        amp_s = self.per_cycle.amp_seconds * cycle
        charging = self.per_cycle.charging_s * cycle
        for earlier in self.steps[:index]:
            if earlier.stage is Stage.CHARGING:
                amp_s += earlier.amp_seconds(earlier.seconds)
                charging += earlier.seconds
        if step.stage is Stage.CHARGING:
            amp_s += step.amp_seconds(into)
            charging += into
        return amp_s, charging

    def delivered(self, start: float, end: float, boots: Sequence[tuple[float, float]]) -> float:
        """Return amp-seconds delivered in [start, end), none during boot windows."""
        total = self._cumulative(end)[0] - self._cumulative(start)[0]
        for boot_start, boot_end in boots:
            low, high = max(start, boot_start), min(end, boot_end)
            if high > low:
                total -= self._cumulative(high)[0] - self._cumulative(low)[0]
        return total

    def _session_at(self, elapsed: float) -> tuple[float, float] | None:
        """Return the absolute (plug-in, unplug) of the session around `elapsed`, if any."""
        offset = self.locate(elapsed)[0] * self.cycle_s
        for begin, end, _ in self.sessions:
            if offset + begin <= elapsed < offset + end:
                return offset + begin, offset + end
        return None

    def _completed(self, elapsed: float) -> tuple[Counters, float, tuple[float, float] | None]:
        """Return counters of sessions unplugged by `elapsed`, the last unplug and its session."""
        cycle = self.locate(elapsed)[0]
        total = self.per_cycle.times(cycle)
        offset = cycle * self.cycle_s
        last: tuple[float, float] | None = None
        if cycle and self.sessions:
            begin, end, _ = self.sessions[-1]
            last = (offset - self.cycle_s + begin, offset - self.cycle_s + end)
        for begin, end, counters in self.sessions:
            if offset + end <= elapsed:
                total += counters
                last = (offset + begin, offset + end)
        return total, (last[1] if last else 0.0), last

    def moment(
        self, elapsed: float, reboots: Sequence[float] = (), *, initial_uptime_s: int = 0
    ) -> Moment:
        """Return the state `elapsed` seconds in, with the unit rebooted at `reboots`.

        A reboot shows evse_state 0 with the contactor open for BOOT_SECONDS, delivers
        nothing meanwhile, and restarts uptime_s. No source says what happens to the session
        counters; as they live in the unit's RAM, the simulator restarts session_s and
        session_energy_wh from the reboot (inferred). Lifetime counters survive.
        """
        boots = [(r, r + BOOT_SECONDS) for r in reboots if r <= elapsed]
        last_reboot = boots[-1][0] if boots else None
        _, index, into = self.locate(elapsed)
        step = self.steps[index]
        stage, amps = step.stage, step.amps_at(into) if step.stage is Stage.CHARGING else 0.0
        if boots and elapsed < boots[-1][1]:
            stage, amps = Stage.BOOTING, 0.0
        uptime = elapsed - last_reboot if last_reboot is not None else initial_uptime_s + elapsed
        session = self._session_at(elapsed)
        lifetime, last_unplug, last_session = self._completed(elapsed)
        lifetime = Counters(
            self.delivered(0.0, last_unplug, boots),
            lifetime.charging_s - self._boot_charging(boots, last_unplug),
            lifetime.contactor_closes,
            lifetime.sessions,
        )
        session_s = 0
        session_amp_s: float | None
        if session is not None:
            counted_from = max(session[0], last_reboot if last_reboot is not None else -1.0)
            session_amp_s = self.delivered(counted_from, elapsed, boots)
            # A finished session reads session_s 0 (docs/wall-connector.md#sessions, core#74219).
            if stage not in (Stage.FINISHED, Stage.BOOTING):
                session_s = int(elapsed - max(counted_from, boots[-1][1] if boots else 0.0))
        elif last_session is not None and (last_reboot is None or last_reboot < last_session[1]):
            counted_from = max(last_session[0], last_reboot if last_reboot is not None else -1.0)
            session_amp_s = self.delivered(counted_from, last_session[1], boots)
        elif last_reboot is not None:
            session_amp_s = 0.0
        else:
            session_amp_s = None  # nothing yet: the unit's previous session, set by the caller
        return Moment(
            elapsed=elapsed,
            stage=stage,
            amps=amps,
            uptime_s=int(uptime),
            session_s=session_s,
            session_amp_seconds=session_amp_s,
            lifetime=lifetime,
            last_unplug=last_unplug,
        )

    def _boot_charging(self, boots: Sequence[tuple[float, float]], until: float) -> float:
        """Return the scripted charging seconds that boot windows swallowed before `until`."""
        lost = 0.0
        for boot_start, boot_end in boots:
            high = min(boot_end, until)
            if high > boot_start:
                lost += self._cumulative(high)[1] - self._cumulative(boot_start)[1]
        return lost
