"""What the district's staff call: villages, enrolment of kiosks, the fleet, the figures."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from typing import Annotated

from fastapi import APIRouter, Body, Header, Query
from fastapi.responses import Response
from pydantic import ValidationError

from apm_api.models import (
    API_PREFIX,
    EnrolmentCreate,
    EnrolmentToken,
    ErrorCode,
    Figures,
    FiguresRow,
    Fleet,
    FleetKiosk,
    Heartbeat,
    Text,
    Villages,
    VillageSetup,
)
from apm_server import pages
from apm_server.store import now, wib
from apm_server.web import (
    BODY_ERRORS,
    HTML,
    Admin,
    Api,
    ApiDep,
    GuardedRoute,
    Reply,
    errors,
    json_answer,
)

log = logging.getLogger(__name__)

router = APIRouter(prefix=API_PREFIX, route_class=GuardedRoute)


@router.post(
    "/admin/enrolments",
    status_code=201,
    response_model=EnrolmentToken,
    responses=errors(*BODY_ERRORS, 401),
    dependencies=[Admin],
    summary="A one-time enrolment token for a kiosk about to be set up",
)
def create_enrolment(api: ApiDep, body: Annotated[EnrolmentCreate, Body()]) -> Response:
    village = body.village_code or api.office.village.code
    if api.store.village(village) is None:
        raise Reply(
            422,
            ErrorCode.BAD_REQUEST,
            f"Desa {village} tidak dilayani server ini.",
            f"This server serves no village {village}.",
            field_errors={"village_code": Text(id="Desa tidak dikenal.", en="Unknown village.")},
        )
    token, expires = api.store.create_enrolment(
        body.label.strip(), body.valid_hours, village=village
    )
    log.info("enrolment token made for %r, valid until %s", body.label, expires.isoformat())
    return json_answer(EnrolmentToken(token=token, label=body.label, expires_at=expires), 201)


@router.post(
    "/admin/kiosks/{kiosk_id}/revoke",
    status_code=204,
    response_class=Response,
    responses=errors(401, 404),
    dependencies=[Admin],
    summary="Revoke a kiosk's device token",
)
def revoke(api: ApiDep, kiosk_id: str) -> Response:
    if not api.store.revoke_kiosk(kiosk_id):
        raise Reply(404, ErrorCode.NOT_FOUND, "Kios tidak dikenal.", "Unknown kiosk.")
    log.warning("kiosk %s revoked: its device token no longer works", kiosk_id)
    return Response(status_code=204)


@router.get(
    "/admin/villages",
    response_model=Villages,
    responses=errors(401),
    dependencies=[Admin],
    summary="The villages this server serves, with their services",
)
def list_villages(api: ApiDep) -> Response:
    rows = api.store.villages()
    setups = [VillageSetup(village=r.village, services=r.services) for r in rows]
    return json_answer(Villages(villages=setups))


@router.post(
    "/admin/villages",
    status_code=201,
    response_model=VillageSetup,
    responses=errors(*BODY_ERRORS, 401, 409),
    dependencies=[Admin],
    summary="Serve another village (its kiosks are then enrolled with its code)",
)
def add_village(api: ApiDep, body: Annotated[VillageSetup, Body()]) -> Response:
    unknown = [code for code in body.services if code not in api.office.services]
    if unknown or len(set(body.services)) != len(body.services):
        raise Reply(
            422,
            ErrorCode.BAD_REQUEST,
            f"Layanan tidak dikenal atau ganda: {', '.join(unknown) or 'ganda'}.",
            f"Unknown or repeated services: {', '.join(unknown) or 'repeated'}; the catalogue "
            f"has {', '.join(api.office.services)}.",
            field_errors={"services": Text(id="Layanan tidak dikenal.", en="Unknown service.")},
        )
    try:
        api.store.add_village(body.village, list(body.services))
    except ValueError:
        raise Reply(
            409,
            ErrorCode.INVALID_STATE,
            f"Desa {body.village.code} sudah terdaftar.",
            f"Village {body.village.code} is served already.",
        ) from None
    log.info("village %s (%s) added", body.village.code, body.village.name)
    return json_answer(body, 201)


@router.get(
    "/admin/fleet",
    response_model=Fleet,
    responses={200: {"content": {"text/html": {}}}, **errors(401)},
    dependencies=[Admin],
    summary="Every kiosk's latest heartbeat, late ones flagged (JSON, or a page for a browser)",
)
def admin_fleet(
    api: ApiDep, accept: Annotated[str, Header(alias="Accept", include_in_schema=False)] = ""
) -> Response:
    fleet = Fleet(late_after_s=api.office.fleet_late_s, kiosks=fleet_kiosks(api))
    if "text/html" in accept:
        return Response(pages.fleet_page(fleet), media_type=HTML)
    return json_answer(fleet)


def fleet_kiosks(api: Api) -> list[FleetKiosk]:
    kiosks = []
    for kiosk_id, label, revoked, body, at, village in api.store.fleet():
        seen = datetime.fromisoformat(at) if at else None
        late = seen is None or (now() - seen).total_seconds() > api.office.fleet_late_s
        beat = stored_heartbeat(body)
        kiosks.append(
            FleetKiosk(
                kiosk_id=kiosk_id,
                label=label,
                village_code=village,
                revoked=revoked,
                last_seen=seen,
                late=late and not revoked,
                software_version=beat.software_version if beat else None,
                uptime_s=beat.uptime_s if beat else None,
                screen=beat.screen if beat else None,
                devices=list(beat.devices) if beat else [],
                paper_low=beat is not None and any(d.paper in ("low", "out") for d in beat.devices),
                outbox_pending=beat.outbox_pending if beat else None,
                dead_letters=beat.dead_letters if beat else None,
                components=dict(beat.components) if beat else {},
            )
        )
    return kiosks


def stored_heartbeat(body: str | None) -> Heartbeat | None:
    """A kept heartbeat, or None if none (or one an older version kept in another shape)."""
    try:
        return Heartbeat.model_validate_json(body) if body else None
    except ValidationError:
        return None


@router.get(
    "/admin/figures",
    response_model=Figures,
    responses={200: {"content": {"text/csv": {}}}, **errors(400, 401)},
    dependencies=[Admin],
    summary="Services delivered, times to signature and print, availability and ratings "
    "(the figures SNI ISO 37122 asks for), per kiosk and village",
)
def admin_figures(
    api: ApiDep,
    first_day: Annotated[
        str | None,
        Query(alias="from", description="First day, YYYY-MM-DD (village time); default: the 1st"),
    ] = None,
    last_day: Annotated[
        str | None, Query(alias="to", description="Last day, included; default: today")
    ] = None,
    format: Annotated[str | None, Query(description="csv for a spreadsheet")] = None,
) -> Response:
    first, last = figures_period(first_day, last_day)
    start = datetime.combine(first, dt_time(), wib(now()).tzinfo)
    end = datetime.combine(last + timedelta(days=1), dt_time(), wib(now()).tzinfo)
    elapsed_min = max(0.0, (min(end, now()) - start).total_seconds() / 60)
    rows = []
    for row in api.store.figures(start, end):
        beats, kiosks = row.pop("heartbeat_minutes"), row.pop("kiosks", 1)
        if row["kiosk_id"] is None:
            row["label"] = f"Desa {api.office.village_of(row['village_code']).name}"
        rows.append(
            FiguresRow(
                availability_pct=(
                    round(min(100.0, 100 * beats / (elapsed_min * kiosks)), 1)
                    if elapsed_min >= 1 and kiosks
                    else None
                ),
                satisfaction_index=(
                    round(row["mean_rating"] / 4 * 100, 1) if row["mean_rating"] else None
                ),
                **row,
            )
        )
    figures = Figures(period_from=first, period_to=last, rows=rows)
    if format == "csv":
        villages = sorted({row.village_code for row in rows})
        scope = villages[0] if len(villages) == 1 else "kabupaten"
        name = f"apm-figures-{scope}-{first.isoformat()}-{last.isoformat()}.csv"
        return Response(
            pages.figures_csv(figures),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return json_answer(figures)


def figures_period(first_day: str | None, last_day: str | None) -> tuple[date, date]:
    """The days asked for: both given, or this month so far (village time)."""
    today = wib(now()).date()
    try:
        first = date.fromisoformat(first_day or today.replace(day=1).isoformat())
        last = date.fromisoformat(last_day or today.isoformat())
    except ValueError:
        raise Reply(
            400,
            ErrorCode.BAD_REQUEST,
            "Tanggal ditulis TTTT-BB-HH, misalnya ?from=2026-11-01&to=2026-11-30.",
            "Dates are written YYYY-MM-DD, e.g. ?from=2026-11-01&to=2026-11-30.",
        ) from None
    if not first <= last or (last - first).days > 366:
        raise Reply(
            400,
            ErrorCode.BAD_REQUEST,
            "Periode dari 'from' sampai 'to', paling lama satu tahun.",
            "The period runs from 'from' to 'to', at most a year.",
        )
    return first, last
