"""Command-line tasks: `flask --app backend <group> <command>`."""

import csv
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from backend import db, demo, schema
from backend.errors import DomainError
from backend.geo.zones import load_zones
from backend.models import Role
from backend.services import accounts, addresses, la311, open311, routing, zones

db_cli = AppGroup("db", help="The database schema.")
users_cli = AppGroup("users", help="Staff accounts.")
zones_cli = AppGroup("zones", help="Named polygons: city outline, neighbourhoods, districts.")
import_cli = AppGroup("import", help="Bringing in data from other systems.")
demo_cli = AppGroup("demo", help="The demo city (Los Angeles' real 311 data).")
addresses_cli = AppGroup("addresses", help="The city's address points.")
routing_cli = AppGroup("routing", help="Where requests go.")
apikeys_cli = AppGroup("apikeys", help="Keys for Open311 client applications.")


@db_cli.command("upgrade")
def upgrade_schema():
    """Bring the schema up to the newest version (a deploy step, never at start-up)."""
    schema.upgrade(current_app.config["DATABASE_URL"])
    click.echo("schema is up to date")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--crew", help="Crew name (created if new), for crew members.")
@click.option("--name", "display_name", default="", help="Name shown to colleagues.")
def create_user(username, role, password, crew, display_name):
    """Create a staff account."""
    user = accounts.create_user(db.session(), username=username, password=password, role=role,
                                crew=crew, display_name=display_name)
    db.session().commit()
    click.echo(f"created {user.role.value} {user.username}")


@zones_cli.command("import")
@click.argument("geojson", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", required=True, help="e.g. city, neighbourhood, district")
@click.option("--code-property", required=True, help="Feature property holding the zone's id.")
@click.option("--name-property", help="Feature property holding the zone's name.")
def import_zone_file(geojson, kind, code_property, name_property):
    """Import a GeoJSON FeatureCollection as zones of one kind."""
    records = load_zones(geojson, code_property=code_property, name_property=name_property)
    with click.progressbar(length=len(records), label=f"importing {kind} zones") as bar:
        count = zones.import_zones(db.session(), records, kind=kind, progress=bar.update)
    db.session().commit()
    click.echo(f"{count} {kind} zones imported")


@import_cli.command("la311")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_la311(csv_file):
    """Import requests from a MyLA311-format CSV export."""
    with open(csv_file, encoding="utf-8", newline="") as file:
        rows = sum(1 for _ in file) - 1
        file.seek(0)
        with click.progressbar(length=rows, label="importing requests") as bar:
            report = la311.import_rows(db.session(), csv.DictReader(file), progress=bar.update)
    db.session().commit()
    _print_import(report)


@demo_cli.command("load")
def load_demo():
    """Upgrade the schema and load the demo city (idempotent)."""
    schema.upgrade(current_app.config["DATABASE_URL"])
    session = db.session()
    demo.load_catalog(session, say=click.echo)
    demo.load_zones(session, say=click.echo)
    click.echo(f"Open311 demo api_key: {demo.load_api_key(session)}")
    session.commit()
    with click.progressbar(length=10_000, label="importing LA requests") as bar:
        report = demo.load_requests(session, say=lambda _: None, progress=bar.update)
    session.commit()
    _print_import(report)
    seed_demo_service_levels(session)
    demo.load_addresses(session, say=click.echo)
    session.commit()


@addresses_cli.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_address_file(csv_file):
    """Import address points from a CSV with columns address, lat, lon (re-runnable)."""
    with open(csv_file, encoding="utf-8-sig", newline="") as file:
        rows = sum(1 for _ in file) - 1
        file.seek(0)
        reader = csv.DictReader(file)
        missing = {"address", "lat", "lon"} - set(reader.fieldnames or ())
        if missing:
            raise click.ClickException(f"The CSV lacks the column(s) {', '.join(sorted(missing))}.")
        with click.progressbar(length=max(rows, 0), label="importing addresses") as bar:
            report = addresses.import_addresses(db.session(), reader, progress=bar.update)
    db.session().commit()
    _print_import(report)


@routing_cli.command("apply")
@click.option("--all", "every", is_flag=True, help="Closed requests too, not only open ones.")
def route_unrouted(every):
    """Route every request that has no department yet (e.g. after an import)."""
    count = routing.route_unrouted(db.session(), open_only=not every)
    db.session().commit()
    click.echo(f"{count} requests routed")


@apikeys_cli.command("create")
@click.argument("name")
@click.option("--rate-limit", type=click.IntRange(1, 1_000_000), default=600,
              show_default=True, help="Requests per hour.")
def create_api_key(name, rate_limit):
    """Make a key for an Open311 client; it is shown this once."""
    try:
        key, record = open311.create_api_key(db.session(), name, rate_limit=rate_limit)
    except DomainError as e:
        raise click.ClickException(e.message) from None
    db.session().commit()
    click.echo(f"created API key {record.name!r} ({record.rate_limit}/hour): {key}")


@apikeys_cli.command("list")
def list_api_keys():
    """Every key: id, name, prefix, limit, state."""
    for k in open311.list_api_keys(db.session()):
        state = "active" if k.active else "revoked"
        used = k.last_used_at.isoformat(timespec="seconds") if k.last_used_at else "never"
        click.echo(f"{k.id:>4}  {k.name:<30} {k.key_prefix}…  {k.rate_limit:>7}/hour  "
                   f"{state:<7}  last used {used}")


@apikeys_cli.command("revoke")
@click.argument("name_or_id")
def revoke_api_key(name_or_id):
    """Stop a key from working (the record stays)."""
    try:
        record = open311.revoke_api_key(db.session(), name_or_id)
    except DomainError as e:
        raise click.ClickException(e.message) from None
    db.session().commit()
    click.echo(f"revoked API key {record.name!r}")


def _print_import(report: la311.ImportReport) -> None:
    click.echo(f"{report.imported} of {report.total} rows imported")
    for reason, count in sorted(report.skipped.items()):
        click.echo(f"  skipped {count:>6}  {reason}")


generate_cli = AppGroup("generate", help="Synthetic data at city scale, for benchmarks.")


@generate_cli.command("requests")
@click.argument("count", type=click.IntRange(1, 100_000_000))
@click.option("--open-share", type=click.FloatRange(0, 1), default=0.2, show_default=True,
              help="Share of the requests that are open.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same data.")
def generate_requests(count, open_share, seed):
    """Add COUNT requests following the demo city's real places and categories."""
    import time

    import numpy as np

    from backend.services import generator

    session = db.session()
    city = generator.la_city_model(session)
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    with click.progressbar(length=count, label="generating requests") as bar:
        for size in generator.batches(count):
            generator.insert_batch(session, city, size, open_share=open_share, rng=rng)
            session.commit()
            bar.update(size)
    click.echo(f"{count} requests added in {time.perf_counter() - started:.1f} s")


DEMO_SERVICE_LEVELS = Path(demo.__file__).parent / "service_levels.json"
sla_cli = AppGroup("sla", help="Service levels: expected dates and overdue work.")


@sla_cli.command("escalate")
@click.option("--limit", type=click.IntRange(1, None), help="At most this many this run.")
def escalate_overdue(limit):
    """Escalate every overdue open request once per overdue episode (run it on a schedule)."""
    from backend.services import service_levels

    done = service_levels.escalate_overdue(
        db.session(), dispatch_email=current_app.config.get("DISPATCH_EMAIL", ""), limit=limit)
    db.session().commit()
    click.echo(f"{len(done)} overdue requests escalated")


@sla_cli.command("backfill")
@click.option("--all", "every", is_flag=True, help="Recompute every expected date.")
def backfill_expected(every):
    """Expected dates for requests that have none (e.g. after an import)."""
    from backend.services import service_levels

    count = service_levels.backfill_expected(db.session(), only_missing=not every)
    db.session().commit()
    click.echo(f"{count} expected dates set")


@sla_cli.command("seed")
@click.argument("spec_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                required=False)
def seed_service_levels(spec_file):
    """Calendars and service levels from a JSON spec (the demo city's when none is given)."""
    import json

    from backend.services import service_levels

    spec_file = spec_file or DEMO_SERVICE_LEVELS
    calendars, services = service_levels.seed(db.session(), json.loads(spec_file.read_text()))
    db.session().commit()
    click.echo(f"{calendars} calendars, {services} service levels")


def seed_demo_service_levels(session) -> None:
    """The demo's calendars and targets, and expected dates for the imported requests."""
    import json

    from backend.services import service_levels

    spec = json.loads(DEMO_SERVICE_LEVELS.read_text())
    calendars, services = service_levels.seed(session, spec)
    count = service_levels.backfill_expected(session)
    session.commit()
    click.echo(f"service levels: {calendars} calendars, {services} services; "
               f"{count} expected dates set")


outbox_cli = AppGroup("outbox", help="Messages to residents and staff.")


@outbox_cli.command("send")
@click.option("--loop", is_flag=True, help="Keep sending until stopped (Ctrl-C).")
@click.option("--batch", type=click.IntRange(1, 10_000), default=100, show_default=True)
@click.option("--interval", type=click.FloatRange(0.1, 3600), default=5.0, show_default=True,
              help="Seconds to wait when nothing was due (with --loop).")
def send_outbox(loop, batch, interval):
    """Send every message that is due, batch by batch (and keep watching with --loop)."""
    import time

    from backend.notify import outbox

    senders = outbox.senders_from_config(current_app.config)
    try:
        while True:
            report = outbox.send_pending(db.session(), senders, batch=batch)
            if report.claimed or not loop:
                click.echo(" ".join(f"{k}={v}" for k, v in report.as_dict().items()))
            if report.claimed < batch:
                if not loop:
                    break
                time.sleep(interval)
    except KeyboardInterrupt:
        pass
    finally:
        senders.close()


@outbox_cli.command("vapid-keys")
def make_vapid_keys():
    """Print a new Web Push key pair for VAPID_PRIVATE_KEY and VAPID_PUBLIC_KEY."""
    from backend.notify.push import new_vapid_keys

    private, public = new_vapid_keys()
    click.echo(f"VAPID_PRIVATE_KEY={private}\nVAPID_PUBLIC_KEY={public}")


privacy_cli = AppGroup("privacy", help="Residents' personal data.")


@privacy_cli.command("anonymise-contacts")
@click.option("--days", type=click.IntRange(0, None),
              help="Days after closing (default: CONTACT_RETENTION_DAYS).")
@click.option("--batch", type=click.IntRange(1, 10_000), default=500, show_default=True,
              help="Requests per transaction.")
def anonymise_contacts(days, batch):
    """Forget reporters' and followers' contact details on requests closed longer ago than
    the retention period (run it daily; running it again changes nothing)."""
    from datetime import timedelta

    from backend.models.types import utcnow
    from backend.services import retention

    days = current_app.config["CONTACT_RETENTION_DAYS"] if days is None else days
    reopen_days = current_app.config["REOPEN_WINDOW_DAYS"]
    if days < reopen_days:
        raise click.ClickException(
            f"Keep contact details at least {reopen_days} days (REOPEN_WINDOW_DAYS): the "
            "\"was it fixed?\" link of a resolved request needs its follower until then.")
    closed_before = utcnow() - timedelta(days=days)
    session = db.session()
    total = retention.Anonymised()
    while True:
        done = retention.anonymise_closed(session, closed_before=closed_before, batch=batch)
        session.commit()  # each batch stands on its own: an interrupted run resumes
        total += done
        if done.requests < batch:
            break
    click.echo(f"{total.requests} requests closed over {days} days ago anonymised: "
               f"{total.contacts} reporter contacts, {total.subscriptions} subscriptions, "
               f"{total.open311_ids} Open311 client ids")


def init_app(app: Flask) -> None:
    for group in (db_cli, users_cli, zones_cli, import_cli, demo_cli, apikeys_cli,
                  addresses_cli, routing_cli, generate_cli, sla_cli,
                  outbox_cli, privacy_cli):
        app.cli.add_command(group)
