"""Running a round: create it, invite the municipalities, follow up, remind."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from survey_app import audit, confirm, htmx
from survey_app.dates import format_date
from survey_app.deps import Reminder, RoundAdmin, SessionDep, SettingsDep, Viewer, round_or_404
from survey_app.forms import FormDataDep
from survey_app.limits import parse_id
from survey_app.models import (
    Invitation,
    Municipality,
    MunicipalityRegion,
    Region,
    Round,
    RoundStatus,
    StaffUser,
    utcnow,
)
from survey_app.permissions import Action, can
from survey_app.routes.staff import ROUND_STATUS_LABELS, STATUS_LABELS
from survey_app.services import catalog, followup, invitations, mail, outbox, rounds
from survey_app.services.catalog import definition_of

router = APIRouter()


# --- create -------------------------------------------------------------------------------------------


@dataclass
class RoundForm:
    """What the adviser typed on the new-round page, kept as typed so nothing is lost on an error."""

    questionnaire: str = ""
    year: str = ""
    title: str = ""
    opens_on: str = ""
    closes_on: str = ""
    who: str = "alle"
    regions: list[str] = field(default_factory=list)
    municipalities: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def _choices(session: Session) -> dict[str, object]:
    versions = [
        v for slug in catalog.questionnaire_slugs(session) if (v := catalog.latest_version(session, slug))
    ]
    return {
        "questionnaires": [(str(v.id), definition_of(v).title, v.version_no) for v in versions],
        "all_regions": list(session.exec(select(Region).order_by(Region.name))),
        "all_municipalities": list(session.exec(select(Municipality).order_by(Municipality.kommunenummer))),
    }


@router.get("/ansatt/runder/ny", name="round_new")
def round_new(request: Request, session: SessionDep, user: RoundAdmin) -> Response:
    today = date.today()
    form = RoundForm(year=str(today.year), opens_on=today.isoformat())
    return htmx.render(request, "staff/round_new.html", {"form": form, **_choices(session)})


def _parse(form: RoundForm) -> tuple[int, date, date]:
    """Year and dates, or errors recorded on the form."""
    year, opens, closes = 0, date.min, date.min
    try:
        year = int(form.year)
        if not 2000 <= year <= 2100:
            raise ValueError
    except ValueError:
        form.errors["year"] = "Skriv årstallet med fire sifre, for eksempel 2027."
    for name in ("opens_on", "closes_on"):
        try:
            parsed = date.fromisoformat(getattr(form, name))
        except ValueError:
            form.errors[name] = "Velg en dato (åååå-mm-dd)."
            continue
        if not 2000 <= parsed.year <= 2100:  # and the links' expiry date stays a date
            form.errors[name] = "Velg en dato mellom år 2000 og 2100."
            continue
        if name == "opens_on":
            opens = parsed
        else:
            closes = parsed
    if "opens_on" not in form.errors and "closes_on" not in form.errors and closes < opens:
        form.errors["closes_on"] = "Fristen kan ikke være før runden åpner."
    if not form.title.strip():
        form.errors["title"] = "Gi runden et navn, for eksempel «Kommuneundersøkelsen 2027»."
    elif len(form.title) > 300:
        form.errors["title"] = "Navnet kan ha høyst 300 tegn."
    return year, opens, closes


def _selected(session: Session, form: RoundForm) -> list[Municipality]:
    query = select(Municipality).order_by(Municipality.kommunenummer)
    if form.who == "regioner":
        ids = [i for r in form.regions if (i := parse_id(r)) is not None]
        query = query.join(
            MunicipalityRegion, col(MunicipalityRegion.municipality_id) == col(Municipality.id)
        ).where(col(MunicipalityRegion.region_id).in_(ids))
    elif form.who == "kommuner":
        ids = [i for m in form.municipalities if (i := parse_id(m)) is not None]
        query = query.where(col(Municipality.id).in_(ids))
    # A municipality in two chosen regions comes once.
    chosen = list({m.id: m for m in session.exec(query)}.values())
    if not chosen:
        form.errors["who"] = {
            "regioner": "Velg minst én region.",
            "kommuner": "Velg minst én kommune.",
        }.get(form.who, "Registeret har ingen kommuner ennå. Last inn kommuneregisteret først.")
    return chosen


@router.post("/ansatt/runder/ny", name="round_create")
def round_create(
    request: Request, data: FormDataDep, session: SessionDep, settings: SettingsDep, user: RoundAdmin
) -> Response:
    text = {k: v for k, v in data.items() if isinstance(v, str)}
    form = RoundForm(
        questionnaire=text.get("questionnaire", ""),
        year=text.get("year", "").strip(),
        title=text.get("title", ""),
        opens_on=text.get("opens_on", ""),
        closes_on=text.get("closes_on", ""),
        who=text.get("who", "alle"),
        regions=[v for v in data.getlist("regions") if isinstance(v, str)],
        municipalities=[v for v in data.getlist("municipalities") if isinstance(v, str)],
    )
    year, opens, closes = _parse(form)
    choices = _choices(session)
    version = next(
        (
            v
            for slug in catalog.questionnaire_slugs(session)
            if (v := catalog.latest_version(session, slug)) and str(v.id) == form.questionnaire
        ),
        None,
    )
    if version is None:
        form.errors["questionnaire"] = "Velg hvilket skjema runden skal bruke."
    municipalities = _selected(session, form)
    if form.errors or version is None:
        return htmx.render(request, "staff/round_new.html", {"form": form, **choices}, status_code=422)
    county_id = municipalities[0].county_id
    try:
        round_ = rounds.create_round(
            session,
            county_id=county_id,
            version=version,
            year=year,
            title=form.title.strip(),
            opens_on=opens,
            closes_on=closes,
            municipalities=municipalities,
            secret_key=settings.resolved_secret_key(),
            invitation_days=settings.invitation_days,
            actor=audit.staff_actor(user),
        )
    except rounds.Untranslated as exc:
        form.errors["questionnaire"] = str(exc)
        return htmx.render(request, "staff/round_new.html", {"form": form, **choices}, status_code=422)
    return RedirectResponse(request.url_for("round_invitations", round_id=round_.id), status_code=303)


def _wanted_status(wanted: object) -> RoundStatus:
    if wanted not in ("open", "closed"):
        raise HTTPException(400, "Ukjent status for runden.")
    return RoundStatus(wanted)


def _municipalities(n: int) -> str:
    return f"{n} kommune" if n == 1 else f"{n} kommuner"


def status_consequences(session: Session, round_: Round, wanted: RoundStatus) -> list[str]:
    """What opening or closing the round does, in words, counted: the confirmation page says it."""
    assert round_.id is not None
    counts = rounds.status_counts(session, round_.id)
    not_done = counts.total - counts.submitted
    started = counts.in_progress + counts.reopened
    if wanted == RoundStatus.closed:
        if not not_done:
            everyone = "Kommunen" if counts.total == 1 else f"Alle {counts.total} kommunene"
            return [
                f"{everyone} har sendt inn. Svarene beholdes.",
                "Du kan åpne runden igjen senere.",
            ]
        sentences = [
            f"{_municipalities(not_done)} kan ikke lenger svare. Svarene som er sendt inn, beholdes."
        ]
        if started:
            sentences.append(
                f"{_municipalities(started)} har begynt uten å sende inn. Det de har lagret, beholdes, "
                "men de kan ikke sende det inn."
            )
        sentences.append("Du kan åpne runden igjen senere.")
        return sentences
    passed = round_.closes_on < date.today()
    deadline = f"Fristen {'var' if passed else 'er'} {format_date(round_.closes_on)}."
    if round_.status == RoundStatus.draft:
        sentences = [
            f"{_municipalities(counts.total)} kan begynne å svare med lenkene sine. {deadline}",
            "Send lenkene til kommunene når runden er åpen.",
        ]
    else:
        sentences = [
            f"{_municipalities(not_done)} som ikke har sendt inn, kan svare igjen med lenkene sine. {deadline}",
            "Svarene som er sendt inn, forblir sendt inn.",
        ]
    # Opening does not renew a link: say so rather than promise an answer that cannot come.
    if stuck := followup.without_working_link(session, round_id=round_.id):
        sentences.append(
            f"{_municipalities(stuck)} har en lenke som er trukket tilbake eller har gått ut, og kan ikke "
            "svare med den."
        )
    return sentences


@router.get("/ansatt/runder/{round_id}/status/bekreft", name="round_status_confirm")
def round_status_confirm(
    round_id: int, request: Request, session: SessionDep, user: RoundAdmin, status: str | None = None
) -> Response:
    round_ = round_or_404(session, round_id)
    wanted = _wanted_status(status)
    back = str(request.url_for("staff_round", round_id=round_id))
    if round_.status == wanted:  # already so (a second tab, or a colleague): nothing to confirm
        return RedirectResponse(back, status_code=303)
    closing = wanted == RoundStatus.closed
    return confirm.page(
        request,
        confirm.Confirmation(
            title=f"{'Avslutte' if closing else 'Åpne'} «{round_.title}»?",
            consequences=status_consequences(session, round_, wanted),
            action=str(request.url_for("round_status", round_id=round_id)),
            label="Avslutt runden" if closing else "Åpne runden",
            back=back,
            fields={"status": wanted.value},
        ),
    )


@router.post("/ansatt/runder/{round_id}/status", name="round_status")
def round_status(
    round_id: int, request: Request, form: FormDataDep, session: SessionDep, user: RoundAdmin
) -> Response:
    round_ = round_or_404(session, round_id)
    wanted = _wanted_status(form.get("status"))
    try:
        rounds.set_status(session, round_=round_, status=wanted, actor=audit.staff_actor(user))
    except rounds.Untranslated as exc:
        htmx.flash(request, f"Runden er ikke åpnet. {exc}", kind="danger")
    return RedirectResponse(request.url_for("staff_round", round_id=round_id), status_code=303)


# --- follow-up ----------------------------------------------------------------------------------------


@router.get("/ansatt/runder/{round_id}", name="staff_round")
def round_dashboard(
    round_id: int,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Viewer,
    region: str | None = None,
    status: str | None = None,
    sorter: str | None = None,
) -> Response:
    round_ = round_or_404(session, round_id)
    region = region or None
    status = status if status in followup.STATUSES else None
    sort = followup.Sort.parse(sorter)
    board = followup.dashboard(session, round_=round_, region=region, status=status, sort=sort)
    return htmx.render(
        request,
        "staff/round.html",
        {
            "board": board,
            "round": round_,
            "region": region or "",
            "status": status or "",
            "status_labels": STATUS_LABELS,
            "round_status_labels": ROUND_STATUS_LABELS,
            "statuses": followup.STATUSES,
            "sort": sort,
            "sort_keys": followup.SortKey,
            "mail_configured": mail.configured(settings),
            "without_mail": without_mail(user),
            "can_remind": can(user.role, Action.remind),
            "can_manage": can(user.role, Action.manage_rounds),
        },
        block="table",
    )


@router.post("/ansatt/runder/{round_id}/paminnelser", name="round_remind")
def round_remind(
    round_id: int,
    request: Request,
    form: FormDataDep,
    session: SessionDep,
    settings: SettingsDep,
    user: Reminder,
) -> Response:
    round_ = round_or_404(session, round_id)
    chosen = [
        i for v in form.getlist("municipality") if isinstance(v, str) and (i := parse_id(v)) is not None
    ]
    everyone = form.get("alle") == "1"
    if not everyone and not chosen:
        htmx.flash(
            request,
            "Velg minst én kommune i tabellen, eller send til alle som ikke har sendt inn.",
            "warning",
        )
        return RedirectResponse(request.url_for("staff_round", round_id=round_id), status_code=303)
    result = followup.send_reminders(
        session,
        round_=round_,
        settings=settings,
        actor=audit.staff_actor(user),
        municipality_ids=None if everyone else chosen,
    )
    if result is None:
        htmx.flash(request, f"Ingen påminnelser ble sendt. {without_mail(user)}", "warning")
    else:
        _flash_queued(request, result, "påminnelse", "påminnelser", "i tabellen")
    return RedirectResponse(request.url_for("staff_round", round_id=round_id), status_code=303)


def without_mail(user: StaffUser) -> str:
    """Why reminders cannot be sent, and what this user can do instead: only what their role may open.

    An administrator has the link list (the invitations page); anyone else would get 403 there.
    """
    if can(user.role, Action.manage_rounds):
        return (
            "E-post er ikke satt opp for Innspill, så påminnelser kan ikke sendes herfra. Last ned lenkene "
            "som CSV under «Invitasjoner og lenker», og send dem fra egen e-post."
        )
    return (
        "E-post er ikke satt opp for Innspill, så påminnelser kan ikke sendes herfra. Be en administrator "
        "om lenkene til kommunene som ikke har sendt inn, og send dem fra egen e-post."
    )


def _flash_queued(request: Request, result: outbox.Queued, one: str, many: str, where: str) -> None:
    """Tell the adviser what was queued and who was left out; the follow-up page shows how sending goes."""
    n = result.queued
    if n:
        text = f"{n} {one if n == 1 else many} er lagt i kø og sendes nå. Status per kommune står {where}."
    else:
        text = f"Ingen {many} ble lagt i kø."
    if result.without_address:
        text += f" Ingen e-postadresse er registrert for {', '.join(result.without_address)}."
    if result.already_queued:
        text += f" Til {', '.join(result.already_queued)} venter det allerede en {one} på å bli sendt."
    htmx.flash(request, text, "warning" if result.without_address or not n else "success")


# --- invitations ----------------------------------------------------------------------------------------


@router.get("/ansatt/runder/{round_id}/invitasjoner", name="round_invitations")
def round_invitations(
    round_id: int, request: Request, session: SessionDep, settings: SettingsDep, user: RoundAdmin
) -> Response:
    round_ = round_or_404(session, round_id)
    rows = session.exec(
        select(Invitation, Municipality)
        .join(Municipality, col(Municipality.id) == col(Invitation.municipality_id))
        .where(Invitation.round_id == round_id)
        .order_by(col(Municipality.kommunenummer))
    ).all()
    secret = settings.resolved_secret_key()
    links = [
        (
            inv,
            muni,
            None if inv.revoked_at else invitations.link(inv, secret_key=secret, base_url=settings.base_url),
        )
        for inv, muni in rows
    ]
    return htmx.render(
        request,
        "staff/invitations.html",
        {
            "round": round_,
            "links": links,
            "mail_configured": mail.configured(settings),
        },
    )


@router.get("/ansatt/runder/{round_id}/invitasjoner.csv", name="round_invitations_csv")
def round_invitations_csv(
    round_id: int, session: SessionDep, settings: SettingsDep, user: RoundAdmin
) -> Response:
    round_or_404(session, round_id)
    rows = invitations.export_rows(
        session, round_id=round_id, secret_key=settings.resolved_secret_key(), base_url=settings.base_url
    )
    invitations.record_export(session, round_id=round_id, rows=len(rows), actor=audit.staff_actor(user))
    out = io.StringIO()
    invitations.write_csv(out, rows)
    return Response(
        ("\ufeff" + out.getvalue()).encode(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="invitasjoner-runde-{round_id}.csv"'},
    )


def _invitation_or_404(session: Session, round_id: int, invitation_id: int) -> Invitation:
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.round_id != round_id:
        raise HTTPException(404, "Invitasjonen finnes ikke.")
    return invitation


def _invitation_confirmation(
    request: Request,
    session: Session,
    round_id: int,
    invitation_id: int,
    *,
    revoke: bool,
    invitation_days: int = 0,
) -> Response:
    """The confirmation of a new link or of revoking one: whose link, and what stops working."""
    invitation = _invitation_or_404(session, round_id, invitation_id)
    municipality = session.get(Municipality, invitation.municipality_id)
    assert municipality is not None
    who = f"{municipality.name} kommune"
    back = f"{request.url_for('round_invitations', round_id=round_id)}#inv-{invitation_id}"
    if revoke:
        if invitation.revoked_at is not None:  # nothing left to revoke (a second tab, or a colleague)
            htmx.flash(request, f"Lenken til {who} er allerede trukket tilbake.", "info")
            return RedirectResponse(back, status_code=303)
        title, label, route = f"Trekke tilbake lenken til {who}?", "Trekk tilbake", "invitation_revoke"
        consequences = [
            f"{who} kan ikke lenger svare med lenken. Den slutter å virke med en gang, også for kolleger "
            "som har den åpen.",
            "Svarene kommunen har lagret, beholdes. Du kan gi kommunen en ny lenke senere.",
        ]
    else:
        title, label, route = f"Lage ny lenke til {who}?", "Lag ny lenke", "invitation_regenerate"
        if invitation.revoked_at is not None:
            consequences = [
                f"Lenken til {who} er trukket tilbake. Med den nye lenken kan kommunen svare igjen."
            ]
        elif invitation.expires_at <= utcnow():
            consequences = [f"Lenken til {who} gikk ut {format_date(invitation.expires_at)}."]
        else:
            consequences = [
                f"Den gamle lenken til {who} slutter å virke med en gang, også for kolleger som har den åpen."
            ]
        until = invitations.new_expiry(invitation, invitation_days=invitation_days)
        consequences.append(f"Den nye lenken virker til {format_date(until)}.")
        consequences.append(
            "Svarene kommunen har lagret, beholdes. Send den nye lenken til kommunen: du finner den i "
            "tabellen etterpå."
        )
    return confirm.page(
        request,
        confirm.Confirmation(
            title=title,
            consequences=consequences,
            action=str(request.url_for(route, round_id=round_id, invitation_id=invitation_id)),
            label=label,
            back=back,
        ),
    )


@router.get(
    "/ansatt/runder/{round_id}/invitasjoner/{invitation_id}/ny-lenke/bekreft",
    name="invitation_regenerate_confirm",
)
def invitation_regenerate_confirm(
    round_id: int,
    invitation_id: int,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: RoundAdmin,
) -> Response:
    return _invitation_confirmation(
        request, session, round_id, invitation_id, revoke=False, invitation_days=settings.invitation_days
    )


@router.get(
    "/ansatt/runder/{round_id}/invitasjoner/{invitation_id}/trekk-tilbake/bekreft",
    name="invitation_revoke_confirm",
)
def invitation_revoke_confirm(
    round_id: int, invitation_id: int, request: Request, session: SessionDep, user: RoundAdmin
) -> Response:
    return _invitation_confirmation(request, session, round_id, invitation_id, revoke=True)


@router.post("/ansatt/runder/{round_id}/invitasjoner/{invitation_id}/ny-lenke", name="invitation_regenerate")
def invitation_regenerate(
    round_id: int,
    invitation_id: int,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: RoundAdmin,
) -> Response:
    invitation = _invitation_or_404(session, round_id, invitation_id)
    invitations.regenerate(
        session,
        invitation=invitation,
        secret_key=settings.resolved_secret_key(),
        invitation_days=settings.invitation_days,
        actor=audit.staff_actor(user),
    )
    htmx.flash(
        request, "Kommunen har fått en ny lenke. Den gamle virker ikke lenger; send den nye til kommunen."
    )
    target = request.url_for("round_invitations", round_id=round_id)
    return RedirectResponse(f"{target}#inv-{invitation_id}", status_code=303)


@router.post("/ansatt/runder/{round_id}/invitasjoner/{invitation_id}/trekk-tilbake", name="invitation_revoke")
def invitation_revoke(
    round_id: int, invitation_id: int, request: Request, session: SessionDep, user: RoundAdmin
) -> Response:
    invitation = _invitation_or_404(session, round_id, invitation_id)
    invitations.revoke(session, invitation=invitation, actor=audit.staff_actor(user))
    htmx.flash(
        request, "Lenken er trukket tilbake og virker ikke lenger. Svarene kommunen har lagret, er beholdt."
    )
    target = request.url_for("round_invitations", round_id=round_id)
    return RedirectResponse(f"{target}#inv-{invitation_id}", status_code=303)


@router.post("/ansatt/runder/{round_id}/invitasjoner/send", name="invitations_send")
def invitations_send(
    round_id: int, request: Request, session: SessionDep, settings: SettingsDep, user: RoundAdmin
) -> Response:
    round_ = round_or_404(session, round_id)
    if not mail.configured(settings):
        raise HTTPException(
            409, "E-post er ikke satt opp for Innspill. Last ned lenkene som CSV og send dem selv."
        )
    result = invitations.send_all(session, round_=round_, actor=audit.staff_actor(user))
    _flash_queued(request, result, "invitasjon", "invitasjoner", "på rundens oppfølgingsside")
    return RedirectResponse(request.url_for("round_invitations", round_id=round_id), status_code=303)
