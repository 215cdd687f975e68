"""Setting up and serving: ``init``, ``serve`` and ``demo``."""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import stat
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from survey_app import audit, logfilter
from survey_app.cli.common import (
    app,
    cli_settings,
    ready_session,
    write_csv,
)
from survey_app.config import Settings
from survey_app.models import RoundStatus
from survey_app.services import catalog

# Bad arguments (a port out of range, no workers) end with 2, as the command line's own usage errors do.
BAD_ARGUMENTS = 2
# uvicorn's supervisor kills a worker that does not answer its health check in time, 5 s by default; a
# worker answers only once it has imported Innspill, which took longer than that on a busy two-core
# machine, and the killed worker's replacement then raced the same clock. A minute covers a slow start
# and still replaces a worker that has really hung.
WORKER_HEALTHCHECK_SECONDS = 60
WILDCARD_HOSTS = ("0.0.0.0", "::", "")

HostOption = Annotated[
    str,
    typer.Option(
        help="Adressen det lyttes på: 127.0.0.1 bare denne maskinen (bak nginx), 0.0.0.0 alle nettverk."
    ),
]
PortOption = Annotated[int, typer.Option(help="Porten (1–65535).")]


def _serve(settings: Settings, host: str, port: int, workers: int) -> None:
    # Workers build their own app from the environment, so hand them the same settings that way.
    os.environ["SURVEY_APP_DATA_DIR"] = str(settings.data_dir)
    os.environ["SURVEY_APP_BASE_URL"] = settings.base_url
    os.environ["SURVEY_APP_TRUSTED_PROXIES"] = ",".join(settings.trusted_proxies)
    if settings.database_url:
        os.environ["DATABASE_URL"] = settings.database_url
    settings.resolved_secret_key()  # create the shared key before several workers race to
    _warn_if_others_can_read(settings.data_dir)
    _warn_if_https_without_proxy(settings)
    trusted = settings.trusted_proxies
    uvicorn.run(
        "survey_app.main:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # X-Forwarded-For and -Proto are believed only from the proxies named in the settings; uvicorn's
        # own default (any process on this machine) would let one claim any address to the login throttle.
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        log_config=logfilter.log_config(),
        log_level="info",
    )


def _warn_if_others_can_read(data_dir: Path) -> None:
    """Folders and files made before Innspill kept them private are left as they are, but named."""
    if not data_dir.is_dir():
        return
    paths = [data_dir, *(p for p in data_dir.iterdir() if p.is_file())]
    if open_ := [p for p in paths if stat.S_IMODE(p.stat().st_mode) & 0o077]:
        typer.echo(
            f"Advarsel: andre brukere på maskinen har tilgang til {', '.join(map(str, open_))}. "
            f"Gjør dem private med: chmod 700 {data_dir} && chmod 600 {data_dir}/*",
            err=True,
        )


def _warn_if_https_without_proxy(settings: Settings) -> None:
    # The public address says https, so a proxy terminates TLS; without trusting it the app sees http and
    # the proxy's address: forms would post to http:// and every user would share one login throttle.
    if settings.base_url.startswith("https://") and not settings.trusted_proxies:
        typer.echo(
            "Advarsel: SURVEY_APP_BASE_URL er https, men ingen proxy er betrodd. Oppgi proxyens adresse med "
            "--trusted-proxy 127.0.0.1 (eller SURVEY_APP_TRUSTED_PROXIES), ellers sender skjemaene til "
            "http:// og innloggingssperren teller alle brukere som én.",
            err=True,
        )


def _refuse(message: str, code: int = BAD_ARGUMENTS) -> typer.Exit:
    typer.echo(f"Feil: {message}", err=True)
    return typer.Exit(code)


def _check_port(port: int) -> None:
    # uvicorn would take 0 as «any free port» and wrap 99999 around to another: the banner would name
    # a port that nothing listens on.
    if not 1 <= port <= 65535:
        raise _refuse(f"--port må være et tall fra 1 til 65535 (fikk {port}). For eksempel --port 8000.")


def _check_workers(workers: int) -> None:
    if workers < 1:
        raise _refuse(f"--workers må være minst 1 (fikk {workers}). For eksempel --workers 2.")


def _trusted_proxies(values: list[str]) -> list[str]:
    """The ``--trusted-proxy`` values (each may be a comma-separated list), checked as addresses."""
    proxies = [item.strip() for value in values for item in value.split(",") if item.strip()]
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise _refuse(
                f"--trusted-proxy: «{proxy}» er ikke en IP-adresse eller et nettverk "
                "(for eksempel 127.0.0.1, 10.0.0.5 eller 10.0.0.0/24)."
            ) from None
    return proxies


def _ensure_port_free(host: str, port: int, *, retry: str) -> None:
    """Bind host:port the way uvicorn will, and stop with a message and the fix when it cannot.

    Checked before anything else happens: otherwise the demo is built and its banner printed, with the
    login of whatever already listens there, before uvicorn finds the port taken.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As uvicorn does: a port whose last connections are still closing (TIME_WAIT) is free to use.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except socket.gaierror:
            raise _refuse(
                f"--host: finner ikke adressen «{host}». Bruk en adresse på denne maskinen, "
                "for eksempel 127.0.0.1 eller 0.0.0.0."
            ) from None
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise _refuse(
                    f"porten {port} på {host} er allerede i bruk, kanskje av en Innspill som kjører fra før. "
                    f"Stopp den, eller velg en annen port: {retry.format(port=port + 1)}.",
                    1,
                ) from None
            if exc.errno == errno.EACCES:
                raise _refuse(
                    f"bare administratorer kan lytte på port {port}. Bruk en port over 1023, for eksempel "
                    "--port 8000, og la nginx ta imot på 80 og 443 (se docs/deployment.md).",
                    1,
                ) from None
            if exc.errno == errno.EADDRNOTAVAIL:
                raise _refuse(
                    f"--host: adressen {host} finnes ikke på denne maskinen. Bruk 127.0.0.1 (bare denne "
                    "maskinen) eller 0.0.0.0 (alle nettverk).",
                ) from None
            raise _refuse(f"kan ikke lytte på {host}:{port}: {exc.strerror}.", 1) from None


@app.command(help="Oppretter eller oppgraderer databasen og importerer spørreskjemaene i ./questionnaires.")
def init() -> None:
    """Create or upgrade the database and import the questionnaires in ./questionnaires."""
    settings = cli_settings()
    with ready_session(settings) as session:
        versions = catalog.import_directory(
            session, directory=settings.questionnaires_dir, actor=audit.SYSTEM
        )
    typer.echo(
        f"Databasen er klar ({settings.sqlalchemy_url.split('@')[-1]}); {len(versions)} skjemaer importert."
    )


@app.command(
    help="Starter Innspill (databasen oppgraderes først). Bak nginx: --host 127.0.0.1 --trusted-proxy 127.0.0.1."
)
def serve(
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    workers: Annotated[
        int,
        typer.Option(help="Antall prosesser (minst 1). Med PostgreSQL holder hver sine egne tilkoblinger."),
    ] = 1,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-proxy",
            metavar="ADRESSE",
            help="Adressen til en omvendt proxy (nginx) hvis X-Forwarded-For og -Proto skal stoles på; "
            "kan gjentas eller skilles med komma. Erstatter SURVEY_APP_TRUSTED_PROXIES.",
        ),
    ] = None,
) -> None:
    """Serve Innspill (the schema is brought up to date first)."""
    _check_port(port)
    _check_workers(workers)
    overrides: dict[str, object] = {}
    if trusted_proxy:
        overrides["trusted_proxies"] = _trusted_proxies(trusted_proxy)
    _ensure_port_free(host, port, retry="survey-app serve --port {port}")
    settings = cli_settings(**overrides)
    with ready_session(settings):
        pass
    _serve(settings, host, port, workers)


def _demo_base_url(host: str, port: int) -> str:
    # Links must name an address a browser can reach and the host check lets through: listening on all
    # networks, that is this machine's name.
    name = socket.getfqdn() if host in WILDCARD_HOSTS else host
    if ":" in name:
        name = f"[{name}]"
    return f"http://{name}:{port}"


@app.command(
    "demo",
    help="Lager demofylket (Viken) med åpne runder og syntetiske svar, og starter det. Invitasjonslenkene "
    "skrives til én fil per åpen runde i datamappen.",
)
def demo_command(
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Bare lag demodata, ikke start serveren.")
    ] = False,
) -> None:
    """Set up the demo county (Viken) with open rounds and synthetic answers, then serve it."""
    _check_port(port)
    if not no_serve:
        _ensure_port_free(host, port, retry="survey-app demo --port {port} eller make run PORT={port}")
    # Imported here: the demo's analysis loads scikit-learn and the invitations the mail and page templates,
    # which quick commands (recommend) need not wait for.
    from survey_app.routes.staff import STATUS_LABELS
    from survey_app.services import demo, invitations, rounds

    settings = cli_settings(base_url=_demo_base_url(host, port))
    typer.echo("Lager demoen (første gang tar det et minutt eller to):")
    with ready_session(settings) as session:
        info = demo.setup_demo(session, settings=settings, progress=lambda step: typer.echo(f"  {step} …"))
        open_rounds = [r for r in rounds.list_rounds(session) if r.status == RoundStatus.open]
        open_rounds.sort(key=lambda r: r.id or 0)
        files = []
        survey_rows: list[dict[str, str]] = []
        for rnd in open_rounds:
            assert rnd.id is not None
            rows = invitations.export_rows(
                session,
                round_id=rnd.id,
                secret_key=settings.resolved_secret_key(),
                base_url=settings.base_url,
            )
            # One file per round, the same as `survey-app invitations export --round ID` writes.
            target = settings.data_dir / f"invitasjoner-runde-{rnd.id}.csv"
            write_csv(target, rows)
            files.append((rnd, target))
            if rnd.id == info.round_ids[0]:
                survey_rows = rows
        survey = next(r for r in open_rounds if r.id == info.round_ids[0])
        examples = demo.examples(session, round_id=info.round_ids[0])
    typer.echo("")
    typer.echo(f"Demoen er {'laget' if info.created else 'gjenbrukt'} i {settings.data_dir.resolve()}.")
    typer.echo(f"  Ansattinnlogging: {settings.base_url}/ansatt/logg-inn")
    typer.echo(f"  E-post: {info.admin_email}   Passord: {info.admin_password}")
    typer.echo("  Invitasjonslenker for kommunene, én fil per åpen runde:")
    for rnd, target in files:
        typer.echo(f"    {rnd.title} (runde {rnd.id}): {target.resolve()}")
    links = {row["kommunenummer"]: row["url"] for row in survey_rows}
    if examples:
        typer.echo(f"  Prøv å svare som en kommune i {survey.title}:")
    for status, municipality in examples.items():
        if municipality.kommunenummer in links:
            typer.echo(
                f"    {STATUS_LABELS[status.value]} ({municipality.name}): {links[municipality.kommunenummer]}"
            )
    typer.echo("")
    if not no_serve:
        _serve(settings, host, port, 1)
