"""A report sent over Open311 comes back the same over Open311, in both formats."""

import pytest

from tests.open311 import spec
from tests.open311.support import BASE

REPORT = {"service_code": "single-streetlight-issue", "lat": "34.0522", "long": "-118.2437",
          "address_string": "Spring St & 1st St, Los Angeles",
          "attribute[problem]": "out", "attribute[pole_number]": "SL-4471",
          "description": "The light on the corner has been out for a week — ñ, ü, 日本.",
          "media_url": "https://photos.example.org/streetlight.jpg",
          "email": "someone@example.org"}


def _definition_value(client) -> str:
    definition = client.get(f"{BASE}/services/single-streetlight-issue.json").json
    problem = next(a for a in definition["attributes"] if a["code"] == "problem")
    return problem["values"][0]["key"]


@pytest.mark.parametrize("encoding", ["form", "multipart"])
@pytest.mark.parametrize("post_fmt", ["json", "xml"])
def test_post_then_get_in_both_formats(client, api_key, encoding, post_fmt):
    fields = {**REPORT, "attribute[problem]": _definition_value(client), "api_key": api_key}
    answer = client.post(f"{BASE}/requests.{post_fmt}", data=fields,
                         content_type="multipart/form-data" if encoding == "multipart"
                         else "application/x-www-form-urlencoded")
    assert answer.status_code == 201, answer.data
    if post_fmt == "json":
        tracking = spec.check_json(answer, spec.POST_ANSWER)[0]["service_request_id"]
    else:
        tracking = spec.check_xml(answer, "service_requests").findtext(
            "request/service_request_id")

    one = spec.check_json(client.get(f"{BASE}/requests/{tracking}.json"), spec.REQUESTS)[0]
    assert one["service_request_id"] == tracking
    assert one["service_code"] == "single-streetlight-issue"
    assert one["service_name"] == "Single Streetlight Issue"
    assert one["description"] == REPORT["description"]
    assert one["address"] == REPORT["address_string"]
    assert (one["lat"], one["long"]) == (34.0522, -118.2437)
    assert one["media_url"] == REPORT["media_url"]
    assert one["status"] == "open" and one["agency_responsible"] == "Bureau of Street Lighting"
    assert "someone@example.org" not in str(one)

    listed = spec.check_json(client.get(f"{BASE}/requests.json"), spec.REQUESTS)
    assert listed == [one]
    root = spec.check_xml(client.get(f"{BASE}/requests/{tracking}.xml"), "service_requests")
    spec.same_as_json(spec.xml_items(root)[0], one)
    root = spec.check_xml(client.get(f"{BASE}/requests.xml"), "service_requests")
    assert spec.xml_items(root)[0]["description"] == REPORT["description"]
