"""Load with nothing lost, short: residents, a dispatcher and crews at once against
gunicorn, with a worker killed and the whole server killed and restarted mid-load; then
every acknowledged write is found exactly once and the event log agrees with the final
states. The long run: ``python -m tests.bench load``."""

from tests.load.scenario import Settings, run_load

SHORT = Settings(seconds=5, min_submissions=24, max_seconds=30, residents=6, crew_threads=1,
                 faults=True, drain_seconds=20, processes=2)


def test_nothing_is_lost_or_doubled_through_a_killed_worker_and_a_restart(
        app, database_url, client, tmp_path):
    # `app` made the schema and the demo catalog; `client` empties the tables afterwards.
    outcome = run_load(database_url, SHORT, data_dir=tmp_path)
    print(outcome.report())
    counted = outcome.proof.counted
    assert counted["acknowledged submissions"] >= SHORT.min_submissions, outcome.report()
    assert counted["acknowledged photos"] > 0 and counted["replays"] > 0
    assert counted["acknowledged completions"] > 0
    assert len(outcome.faults) == 2
    assert outcome.ledger.errors == []
    assert outcome.unanswered == []
    assert outcome.app_errors == []
    assert outcome.proof.problems() == {}
    # Whatever was acknowledged was finished within the drain time, so all of it is checked.
    assert counted["work orders"] == counted["acknowledged submissions"]
