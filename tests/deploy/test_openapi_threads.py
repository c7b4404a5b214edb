"""gunicorn's threaded workers: the OpenAPI document, written on its first read, is whole
for every request that reads it first at the same time."""

import threading

from backend import create_app
from backend.config import Config

READERS = 4


def test_concurrent_first_reads_of_the_document_all_get_all_of_it(database_url, tmp_path):
    app = create_app(Config(DATABASE_URL=database_url, PHOTO_DIR=str(tmp_path), TESTING=True),
                     commands=False)
    answers = [None] * READERS
    start = threading.Barrier(READERS)

    def read(i: int) -> None:
        with app.test_client() as client:
            start.wait()
            answers[i] = client.get("/api/openapi.json")

    readers = [threading.Thread(target=read, args=(i,)) for i in range(READERS)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    app.extensions["frontdoor.db"]["engine"].dispose()
    assert [a.status_code for a in answers] == [200] * READERS
    assert len({a.data for a in answers}) == 1
    document = answers[0].get_json()
    assert "/api/v1/workorders" in document["paths"]
    assert {"DEFAULT_ERROR", "UNPROCESSABLE_ENTITY"} <= set(document["components"]["responses"])
