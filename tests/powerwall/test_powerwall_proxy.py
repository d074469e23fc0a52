"""The proxy-compatible views against what the pypowerwall proxy answers, gateway by gateway.

pypowerwall's proxy (proxy/server.py in its repository, not in the installed package) builds
each route's JSON from a handful of library calls. `proxy_answers` below makes those calls
on a second, independent pypowerwall object logged into the same simulator and assembles
them by the proxy's rules, written out plainly here; the views must answer the same JSON.
The clock is frozen, so both see the same moment of the simulated day.
"""

from __future__ import annotations

from dataclasses import replace
import json
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tesla_energy_sync.clients.powerwall import GridStatus, PowerwallMode
from custom_components.tesla_energy_sync.clients.powerwall_models import build_snapshot
from custom_components.tesla_energy_sync.const import DOMAIN
from custom_components.tesla_energy_sync.powerwall.proxy import COMBINED, GATEWAY
from simulators.powerwall import PowerwallSimulator

from ..conftest import DINS, EMAIL, PASSWORD, StartSim, powerwall_entry, setup_entry
from ..helpers import advance

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")

# Everything Powerwall-Dashboard's Telegraf polls, /version, and the rest the proxy serves here.
TELEGRAF = ("aggregates", "soe", "strings", "temps/pw", "freq", "pod", "alerts/pw")
ENDPOINTS = (*TELEGRAF, "version", "vitals", "alerts", "temps")
POD_VITALS = (
    "POD_ActiveHeating",
    "POD_ChargeComplete",
    "POD_ChargeRequest",
    "POD_DischargeComplete",
    "POD_PermanentlyFaulted",
    "POD_PersistentlyFaulted",
    "POD_enable_line",
)
POD_VALUES = (
    "POD_available_charge_power",
    "POD_available_dischg_power",
    "POD_nom_energy_remaining",
    "POD_nom_energy_to_be_charged",
    "POD_nom_full_pack_energy",
)


def connect(sim: PowerwallSimulator, storage: Path) -> Any:
    """Log a plain pypowerwall object into the simulator, as the proxy would (local mode)."""
    import pypowerwall

    storage.mkdir(parents=True, exist_ok=True)
    return pypowerwall.Powerwall(
        host=sim.host,
        password=PASSWORD,
        email=EMAIL,
        timezone="America/Los_Angeles",
        pwcacheexpire=0,
        cloudmode=False,
        fleetapi=False,
        auto_select=False,
        retry_modes=False,
        failover=False,
        authpath=str(storage),
        cachefile=str(storage / "cookie.json"),
    )


def proxy_answers(pw: Any) -> dict[str, Any]:
    """Return each route's body the way the proxy assembles it from pypowerwall's calls."""
    from pypowerwall import parse_version

    answers: dict[str, Any] = {
        "aggregates": pw.poll("/api/meters/aggregates") or None,
        "soe": pw.poll("/api/system_status/soe"),
        "vitals": pw.vitals(),
        "strings": pw.strings(),
        # The proxy's list comes out of a set in no fixed order.
        "alerts": sorted(pw.alerts()),
        "temps": pw.temps(),
    }
    answers["alerts/pw"] = {}
    for alert in pw.alerts():
        answers["alerts/pw"][alert] = 1
    answers["temps/pw"] = {}
    for number, device in enumerate(answers["temps"], start=1):
        answers["temps/pw"][f"PW{number}_temp"] = answers["temps"][device]
    version = pw.version()
    answers["version"] = (
        {"version": "SolarOnly", "vint": 0}
        if version is None
        else {"version": version, "vint": parse_version(version)}
    )

    system = pw.system_status() or {}
    vitals = pw.vitals() or {}
    freq: dict[str, Any] = {}
    pod: dict[str, Any] = {}
    for number, block in enumerate(system.get("battery_blocks", []), start=1):
        pw_ = f"PW{number}_"
        freq[pw_ + "name"] = None
        freq[pw_ + "PINV_Fout"] = block.get("f_out")
        freq[pw_ + "PINV_VSplit1"] = None
        freq[pw_ + "PINV_VSplit2"] = None
        for field in ("PackagePartNumber", "PackageSerialNumber"):
            freq[pw_ + field] = pod[pw_ + field] = block.get(field)
        for field in ("p_out", "q_out", "v_out", "f_out", "i_out"):
            freq[pw_ + field] = pod[pw_ + field] = block.get(field)
        pod[pw_ + "name"] = None
        for field in POD_VITALS + POD_VALUES:
            pod[pw_ + field] = None
        pod[pw_ + "POD_nom_energy_remaining"] = block.get("nominal_energy_remaining")
        pod[pw_ + "POD_nom_full_pack_energy"] = block.get("nominal_full_pack_energy")
        pod[pw_ + "pinv_state"] = block.get("pinv_state")
        pod[pw_ + "pinv_grid_state"] = block.get("pinv_grid_state")
        pod[pw_ + "energy_charged"] = block.get("energy_charged")
        pod[pw_ + "energy_discharged"] = block.get("energy_discharged")
        for field in ("off_grid", "vf_mode", "wobble_detected", "charge_power_clamped"):
            pod[pw_ + field] = int(block.get(field) or 0)
        pod[pw_ + "backup_ready"] = int(block.get("backup_ready") or 0)
        pod[pw_ + "OpSeqState"] = block.get("OpSeqState")
        pod[pw_ + "version"] = block.get("version")
    inverters = [device for device in vitals if device.startswith("TEPINV")]
    for number, device in enumerate(inverters, start=1):
        freq[f"PW{number}_name"] = device
        for field in ("PINV_Fout", "PINV_VSplit1", "PINV_VSplit2"):
            freq[f"PW{number}_{field}"] = vitals[device].get(field)
    for device in vitals:
        if device.startswith(("TESYNC", "TEMSA")):
            freq.update(
                (field, value)
                for field, value in vitals[device].items()
                if field.startswith(("ISLAND", "METER"))
            )
    freq["grid_status"] = pw.grid_status("numeric")
    packs = [device for device in vitals if device.startswith("TEPOD")]
    for number, device in enumerate(packs, start=1):
        pod[f"PW{number}_name"] = device
        for field in POD_VITALS:
            pod[f"PW{number}_{field}"] = int(vitals[device].get(field) or 0)
        for field in POD_VALUES:
            pod[f"PW{number}_{field}"] = vitals[device].get(field)
    pod["nominal_full_pack_energy"] = system.get("nominal_full_pack_energy")
    pod["nominal_energy_remaining"] = system.get("nominal_energy_remaining")
    pod["time_remaining_hours"] = pw.get_time_remaining()
    pod["backup_reserve_percent"] = pw.get_reserve()
    answers["freq"] = freq
    answers["pod"] = pod
    # As served: through JSON.
    return {name: json.loads(json.dumps(body)) for name, body in answers.items()}


async def _views(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, target: str
) -> dict[str, Any]:
    client = await hass_client()
    answers: dict[str, Any] = {}
    for endpoint in ENDPOINTS:
        response = await client.get(f"/api/{DOMAIN}/powerwall/{target}/{endpoint}")
        assert response.status == 200, endpoint
        answers[endpoint] = await response.json()
    return answers


@pytest.mark.parametrize(
    ("options", "state"),
    [
        ({"batteries": 2}, "midday"),
        ({"batteries": 3, "vitals": True, "firmware": "23.28.2 27626f98"}, "midday"),
        ({"batteries": 1, "vitals": True, "firmware": "23.28.2 27626f98"}, "outage"),
    ],
    ids=["current-firmware", "older-firmware-with-vitals", "outage"],
)
@pytest.mark.usefixtures("frozen")  # before the client's token is issued
async def test_views_answer_what_the_proxy_answers(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    start_sim: StartSim,
    tmp_path: Path,
    options: dict[str, Any],
    state: str,
) -> None:
    """Every endpoint Telegraf polls, and the rest, is the proxy's JSON for the same gateway."""
    assert await async_setup_component(hass, "http", {})
    sim = await start_sim(din=DINS[0], **options)
    sim.alerts = {"PVS_a018_MciStringB"} if "vitals" not in options else {"PINV_a067_x"}
    if state == "outage":
        sim.start_outage()
    await setup_entry(hass, powerwall_entry(sim))
    pw = await hass.async_add_executor_job(connect, sim, tmp_path / "proxy")
    expected = await hass.async_add_executor_job(proxy_answers, pw)
    answers = await _views(hass, hass_client, DINS[0])
    for endpoint in ENDPOINTS:
        assert answers[endpoint] == expected[endpoint], endpoint
    # The bodies carry real readings, not placeholders.
    assert answers["pod"][f"PW{sim.batteries}_PackageSerialNumber"] == sim.pack_serial(
        sim.batteries - 1
    )
    assert answers["freq"]["grid_status"] == (0 if state == "outage" else 1)
    if "vitals" in options:
        assert answers["temps/pw"]["PW1_temp"] == 22.5
        assert answers["pod"]["PW1_name"].startswith("TEPOD--")
        assert answers["freq"]["ISLAND_GridConnected"] is (state != "outage")
    assert answers["version"]["vint"] in {244401, 232802}


@pytest.mark.usefixtures("frozen")  # before the client's token is issued
async def test_combined_views_number_every_gateways_powerwalls(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, start_sim: StartSim, tmp_path: Path
) -> None:
    """Combined, each gateway's Powerwalls follow the previous gateway's; totals add up."""
    assert await async_setup_component(hass, "http", {})
    sims = [
        await start_sim(din=DINS[0], batteries=2),
        await start_sim(din=DINS[1], batteries=1, vitals=True, firmware="23.28.2 27626f98"),
    ]
    per_gateway = []
    for index, sim in enumerate(sims):
        await setup_entry(hass, powerwall_entry(sim))
        pw = await hass.async_add_executor_job(connect, sim, tmp_path / f"proxy-{index}")
        per_gateway.append(await hass.async_add_executor_job(proxy_answers, pw))
    answers = await _views(hass, hass_client, "combined")

    first, second = per_gateway
    for name in ("freq", "pod"):
        numbered = {key: value for key, value in first[name].items() if key.startswith("PW")}
        numbered |= {
            f"PW3_{key.split('_', 1)[1]}": value
            for key, value in second[name].items()
            if key.startswith("PW1_")
        }
        assert {key: value for key, value in answers[name].items() if key.startswith("PW")} == (
            numbered
        )
    # The site's backup switch readings: those of the first gateway that reports them.
    assert answers["freq"]["ISLAND_VL1N_Main"] == second["freq"]["ISLAND_VL1N_Main"]
    assert answers["freq"]["grid_status"] == 1
    capacity = sum(sim.full_pack_wh for sim in sims)
    assert answers["pod"]["nominal_full_pack_energy"] == pytest.approx(capacity)
    assert answers["pod"]["nominal_energy_remaining"] == (
        first["pod"]["nominal_energy_remaining"] + second["pod"]["nominal_energy_remaining"]
    )
    load = sum(sim.flows().load for sim in sims)
    assert answers["pod"]["time_remaining_hours"] == pytest.approx(
        answers["pod"]["nominal_energy_remaining"] / load, rel=1e-3
    )
    assert answers["pod"]["backup_reserve_percent"] == pytest.approx(20.0)
    assert answers["temps/pw"] == second["temps/pw"]
    assert answers["alerts/pw"] == first["alerts/pw"] | second["alerts/pw"]
    assert answers["version"] == {"version": "23.28.2 27626f98", "vint": 232802}
    assert answers["soe"]["percentage"] == pytest.approx(
        sum(sim.level_raw_pct * sim.full_pack_wh for sim in sims) / capacity, abs=0.01
    )


@pytest.mark.usefixtures("frozen")  # before the client's token is issued
async def test_a_gateway_that_stops_answering_answers_null(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    start_sim: StartSim,
    freezer: FrozenDateTimeFactory,
) -> None:
    """While its gateway does not answer, every endpoint of a loaded entry is null."""
    assert await async_setup_component(hass, "http", {})
    sim = await start_sim(din=DINS[0])
    await setup_entry(hass, powerwall_entry(sim))
    sim.fault = "offline"
    await advance(hass, freezer, 15)
    answers = await _views(hass, hass_client, DINS[0])
    assert answers == dict.fromkeys(ENDPOINTS)


def test_bodies_of_gateways_that_report_little() -> None:
    """No firmware is "SolarOnly"; unknown parts leave combined values unknown, as the proxy would."""
    bare = build_snapshot(
        PowerwallMode.LOCAL,
        status=None,
        site_name=None,
        aggregates={"site": {"instant_power": 10.0}},
        soe=None,
        operation=None,
        grid_status=None,
        system_status=None,
        time_remaining=None,
        alerts=None,
    )
    assert bare is not None
    assert GATEWAY["version"](bare) == {"version": "SolarOnly", "vint": 0}
    assert GATEWAY["soe"](bare) is None
    assert GATEWAY["pod"](bare) == {
        "nominal_full_pack_energy": None,
        "nominal_energy_remaining": None,
        "time_remaining_hours": None,
        "backup_reserve_percent": None,
    }
    assert GATEWAY["freq"](bare) == {"grid_status": None}
    up = replace(bare, grid_status=GridStatus.UP, firmware="24.44.1 6c12f5a9")
    syncing = replace(bare, grid_status=GridStatus.SYNCING, firmware="x")
    down = replace(bare, grid_status=GridStatus.DOWN)
    assert COMBINED["freq"]([up, bare])["grid_status"] is None
    assert COMBINED["freq"]([up, syncing])["grid_status"] == -1
    assert COMBINED["freq"]([syncing, down])["grid_status"] == 0
    assert COMBINED["soe"]([up, syncing]) is None
    assert COMBINED["version"]([up, syncing]) == {"version": "24.44.1 6c12f5a9", "vint": 244401}
    assert COMBINED["version"]([bare, syncing]) == {"version": "SolarOnly", "vint": 0}
    pod = COMBINED["pod"]([up, syncing])
    assert pod["backup_reserve_percent"] is None
    assert pod["time_remaining_hours"] is None
    assert COMBINED["aggregates"]([up, syncing])["site"] == {
        "instant_power": 20.0,
        "energy_imported": None,
        "energy_exported": None,
    }
