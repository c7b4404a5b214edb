"""What the dispatcher's and crews' screens read: crews to assign to, open work orders in the
map's view, and the service facts a crew needs before closing a job."""

from tests.work.conftest import CITY_HALL, crew_named

FAR = (-118.45, 34.2)  # about 25 km from city hall


def test_crews_are_listed_for_dispatch_only(client, auth, db_session):
    answer = client.get("/api/v1/dispatch/crews", headers=auth("dispatcher"))
    assert answer.status_code == 200
    names = [c["name"] for c in answer.json]
    assert names == sorted(names) and "Sanitation North" in names
    north = crew_named(db_session, "Sanitation North")
    assert {"id": north.id, "name": north.name, "department_id": north.department_id} \
        in answer.json
    assert client.get("/api/v1/dispatch/crews", headers=auth("crew")).status_code == 403
    assert client.get("/api/v1/dispatch/crews").status_code == 401


def test_work_orders_in_a_box_are_the_open_ones_inside(client, auth, make_work):
    inside = [make_work(crew=None), make_work()]
    make_work(crew=None, lon=FAR[0], lat=FAR[1])
    done = make_work()
    finished = client.post(f"/api/v1/workorders/{done.id}/actions", headers={
        **auth("dispatcher"), "If-Match": f'"{done.version}"', "Idempotency-Key": "cancel-1234"},
        json={"action": "cancel"})
    assert finished.status_code == 200, finished.json
    lon, lat = CITY_HALL
    box = f"{lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}"
    answer = client.get(f"/api/v1/workorders?bbox={box}", headers=auth("dispatcher"))
    assert answer.status_code == 200, answer.json
    assert sorted(w["id"] for w in answer.json) == sorted(w.id for w in inside)
    unassigned = client.get(f"/api/v1/workorders?bbox={box}&status=unassigned",
                            headers=auth("dispatcher"))
    assert [w["id"] for w in unassigned.json] == [inside[0].id]


def test_a_bad_box_is_refused_clearly(client, auth):
    answer = client.get("/api/v1/workorders?bbox=1,2,3", headers=auth("dispatcher"))
    assert answer.status_code == 422
    upside_down = client.get("/api/v1/workorders?bbox=-118,35,-117,34",
                             headers=auth("dispatcher"))
    assert upside_down.status_code in (400, 422) and upside_down.json["code"]


def test_crews_see_whether_a_job_needs_a_proof_photo(client, auth, make_work):
    graffiti = make_work(crew="Sanitation North", service="graffiti-removal")
    make_work(crew=None, service="bulky-items")
    near = f"{CITY_HALL[1]},{CITY_HALL[0]}"
    day = client.get(f"/api/v1/crew/workorders?near={near}", headers=auth("crew")).json
    assert [(w["id"], w["proof_required"]) for w in day["mine"]] == [(graffiti.id, True)]
    assert [(w["proof_required"], w["self_assign"]) for w in day["unassigned"]] == [
        (False, False)]
    one = client.get(f"/api/v1/workorders/{graffiti.id}", headers=auth("crew")).json
    assert one["request"]["proof_required"] is True
