"""No GET, in any format or with any extension, shows who reported.

Every request here carries contact details and client ids: sent over Open311
(email, names, phone, device and account ids), over the REST API, or stored
directly. Then every Open311 GET is read in both formats, with and without
extensions, and none of those values may appear anywhere in any answer.
"""

from urllib.parse import quote

from tests.open311.support import BASE, CITY_HALL, GRAFFITI, seed

SECRETS = {
    "email": "rosa.quintero.private@example.org",
    "first_name": "Rosalinda",
    "last_name": "Quinterova",
    "phone": "+1 213 555 0147",
    "device_id": "device-9f8e7d6c",
    "account_id": "account-5b4a3928",
}
FORMS = [
    GRAFFITI,
    {"service_code": "bulky-items", **CITY_HALL, "attribute[items][]": "mattress"},
    {"service_code": "sidewalk-survey", "address_string": "200 N Spring St"},
    {"service_code": "internal-inspection", **CITY_HALL},
    {"service_code": "anonymous-tip", **CITY_HALL},
]


def test_no_get_ever_shows_contact_details(app, client, post):
    tokens, trackings = [], []
    for form in FORMS:
        answer = post("json", {**form, **SECRETS})
        assert answer.status_code == 201, answer.data
        body = answer.json[0]
        tokens += [body["token"]] if "token" in body else []
        trackings += [body["service_request_id"]] if "service_request_id" in body else []
    rest = client.post("/api/v1/requests", json={
        "service_code": "other", "lat": 34.0537, "lon": -118.2427,
        "contact": {"name": "Rosalinda Quinterova", "email": SECRETS["email"],
                    "phone": SECRETS["phone"]}})
    assert rest.status_code == 201, rest.json
    trackings.append(rest.json["tracking"])
    trackings.append(seed(app, service_code="other", contact={
        "name": "Rosalinda Quinterova", "email": SECRETS["email"], "phone": SECRETS["phone"]}))

    resources = [("/discovery", ""), ("/services", ""), ("/services/graffiti-removal", ""),
                 ("/requests", ""),
                 ("/requests", "service_request_id=" + quote(",".join(trackings)))]
    resources += [(f"/requests/{t}", "") for t in trackings]
    resources += [(f"/tokens/{t}", "") for t in tokens]
    answers = 0
    for path, query in resources:
        for fmt in ("json", "xml"):
            for extension in ("", "extensions=true"):
                url = f"{BASE}{path}.{fmt}?" + "&".join(filter(None, (query, extension)))
                answer = client.get(url)
                assert answer.status_code == 200, (url, answer.data)
                text = answer.data.decode("utf-8")
                for field, value in SECRETS.items():
                    assert value not in text, f"{field} leaked in {url}"
                    assert value.split("@")[0] not in text, f"{field} leaked in {url}"
                answers += 1
    listed = client.get(f"{BASE}/requests.json").json
    assert len(listed) == 5  # the private and the blackbox ones are left out
    assert answers == len(resources) * 4
