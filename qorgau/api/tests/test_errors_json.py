"""Every answer under /api/ is JSON, an unknown route too (issue 28, finding 8)."""

import pytest


@pytest.mark.parametrize("path", ["/api/v1/nonexistent", "/api/v2/cases", "/api/"])
def test_an_unknown_api_route_is_json(client, path):
    for method in (client.get, client.post, client.delete):
        response = method(path)
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["code"] == "not_found"
