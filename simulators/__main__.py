"""Run the Amber, ComEd and Tesla energy stand-ins until SIGINT or SIGTERM: python -m simulators."""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import TYPE_CHECKING, Any

from ._server import require_loopback, system_clock
from .amber import AmberSimulator
from .comed import ComEdSimulator
from .fleet_telemetry import LoopingTelemetry
from .powerwall import PowerwallSimulator
from .tesla_auth import CLIENT_ID, CLIENT_SECRET, TeslaAuthSimulator
from .tesla_energy import SITE_ID, TeslaEnergySimulator, default_energy_sites, energy_site
from .wall_connector import WallConnectorSimulator

if TYPE_CHECKING:
    from collections.abc import Callable
    import datetime as dt


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line; a host that is not loopback is an error."""
    parser = argparse.ArgumentParser(prog="python -m simulators", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--amber-port", type=int, default=8124)
    parser.add_argument("--comed-port", type=int, default=8125)
    parser.add_argument("--tesla-energy-port", type=int, default=8126)
    parser.add_argument(
        "--tesla-auth-port",
        type=int,
        default=8132,
        help="Tesla's OAuth server; its access tokens open the Tesla energy stand-in",
    )
    parser.add_argument(
        "--speed", type=float, default=1.0, help="simulated seconds per real second"
    )
    parser.add_argument(
        "--wall-connector-ports",
        type=_ports,
        default=(),
        help="comma-separated ports, one Wall Connector each (e.g. 8127,8128)",
    )
    parser.add_argument(
        "--wall-connector-three-phase", action="store_true", help="EU three-phase units"
    )
    parser.add_argument(
        "--wall-connector-start",
        type=float,
        default=0.0,
        help="seconds into the session script to start at (1200: mid-charge)",
    )
    parser.add_argument(
        "--kafka-port",
        type=int,
        default=None,
        help="start a Kafka-compatible broker here with a looping Fleet Telemetry producer",
    )
    parser.add_argument(
        "--telemetry-prefix",
        default="tesla_telemetry",
        help="the telemetry server's namespace: topics <prefix>_V, _connectivity, ...",
    )
    parser.add_argument(
        "--powerwall-ports",
        type=_ports,
        default=(),
        help="comma-separated ports, one Powerwall gateway each over HTTPS (e.g. 8130,8131)",
    )
    args = parser.parse_args(argv)
    try:
        require_loopback(args.host)
    except ValueError as err:
        parser.error(str(err))
    if args.speed <= 0:
        parser.error("--speed must be positive")
    return args


def _ports(text: str) -> tuple[int, ...]:
    """Parse "8126,8127" into ports."""
    try:
        ports = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of ports: {text!r}") from None
    if not all(0 < port < 65536 for port in ports):
        raise argparse.ArgumentTypeError(f"port out of range in {text!r}")
    return ports


def wall_connector_serial(index: int) -> str:
    """Return the serial number of the index-th simulated Wall Connector."""
    return f"PGT{2251234567 + index}"


def powerwall_din(index: int) -> str:
    """Return the DIN of the index-th simulated Powerwall gateway."""
    return f"1232100-00-E--TG1210000000{index + 1:02d}"


def scaled_clock(speed: float) -> Callable[[], dt.datetime]:
    """Return a clock that starts now and runs `speed` times faster than real time."""
    origin = system_clock()

    def clock() -> dt.datetime:
        """Return the compressed time."""
        return origin + (system_clock() - origin) * speed

    return clock


async def serve(args: argparse.Namespace) -> None:
    """Start the simulators, print their URLs and wait for a stop signal."""
    clock = scaled_clock(args.speed) if args.speed != 1.0 else None
    amber = AmberSimulator(clock=clock)
    comed = ComEdSimulator(clock=clock)
    wall_connectors = [
        WallConnectorSimulator(
            serial=wall_connector_serial(index),
            three_phase=args.wall_connector_three_phase,
            clock=clock,
            start_at=args.wall_connector_start,
        )
        for index in range(len(args.wall_connector_ports))
    ]
    powerwalls = [
        # 1, 2 and 3 Powerwalls in turn, so combined views see unequal capacities.
        PowerwallSimulator(din=powerwall_din(index), batteries=index % 3 + 1, clock=clock)
        for index in range(len(args.powerwall_ports))
    ]
    # The cloud holds the TOU sync's site and one site per gateway, and passes the reserve
    # and mode it is given on to that gateway, as Tesla's does.
    tesla = TeslaEnergySimulator(
        clock=clock,
        sites=[
            *default_energy_sites(),
            *(
                energy_site(SITE_ID + 1 + index, f"Simulated Home {index + 1}", gateway.din)
                for index, gateway in enumerate(powerwalls)
            ),
        ],
    )
    by_din = {gateway.din: gateway for gateway in powerwalls}

    def push(site: dict[str, Any]) -> None:
        if (gateway := by_din.get(site["gateway_id"])) is not None:
            gateway.apply_cloud(site)

    tesla.on_change = push
    auth = TeslaAuthSimulator(clock=clock, resource_tokens=tesla.tokens)
    telemetry = (
        LoopingTelemetry(args.host, args.kafka_port, args.telemetry_prefix, pace=1 / args.speed)
        if args.kafka_port is not None
        else None
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        print(f"Amber: {await amber.start(args.host, args.amber_port)}", flush=True)
        print(f"ComEd: {await comed.start(args.host, args.comed_port)}", flush=True)
        for unit, port in zip(wall_connectors, args.wall_connector_ports, strict=True):
            url = await unit.start(args.host, port)
            print(f"Wall Connector {unit.serial}: {url}", flush=True)
        print(f"Tesla energy: {await tesla.start(args.host, args.tesla_energy_port)}", flush=True)
        await auth.start(args.host, args.tesla_auth_port)
        print(
            f"Tesla sign-in: {auth.authorize_url} and {auth.token_url}, "
            f"client {CLIENT_ID} / {CLIENT_SECRET}",
            flush=True,
        )
        if telemetry is not None:
            print(f"Fleet Telemetry Kafka: {await telemetry.start()}", flush=True)
        for gateway, port in zip(powerwalls, args.powerwall_ports, strict=True):
            url = await gateway.start(args.host, port)
            print(
                f"Powerwall {gateway.din} ({gateway.batteries} batteries): {url} "
                f"host {gateway.host}, customer {gateway.email} / {gateway.password}",
                flush=True,
            )
        await stop.wait()
    finally:
        await amber.stop()
        await comed.stop()
        for unit in wall_connectors:
            await unit.stop()
        await tesla.stop()
        await auth.stop()
        if telemetry is not None:
            await telemetry.stop()
        for gateway in powerwalls:
            await gateway.stop()


def main(argv: list[str] | None = None) -> None:
    """Run until stopped."""
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
