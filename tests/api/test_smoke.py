def test_provinces_are_the_34_of_2025(client):
    r = client.get("/places/provinces")
    assert r.status_code == 200
    assert len(r.json) == 34


def test_sign_in_and_profile(citizen):
    r = citizen.get("/people")
    assert r.status_code == 200
    assert [p["relation"] for p in r.json] == ["self"]
