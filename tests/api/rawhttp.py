"""Raw HTTPS requests to the API, for tests that send what kubectl never would."""

from __future__ import annotations

import http.client
import json
import ssl

TOKEN = "admin-token-for-the-api-tests"  # the API tests' admin (tests/api/conftest.py)


class Client:
    """One kept-alive HTTPS connection to the API, reopened if the server closes it."""

    def __init__(self, address: str, token: str = TOKEN):
        self.token = token
        self.host, port = address.rsplit(":", 1)
        self.port = int(port)
        self.context = ssl.create_default_context()
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE
        self.connection: http.client.HTTPSConnection | None = None

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str = "application/json",
        accept: str = "application/json",
    ):
        headers = {"Authorization": f"Bearer {self.token}", "Accept": accept}
        if body is not None:
            headers["Content-Type"] = content_type
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPSConnection(
                    self.host, self.port, context=self.context, timeout=30
                )
            try:
                self.connection.request(method, path, body=body, headers=headers)
                answer = self.connection.getresponse()
                data = answer.read()
                return answer.status, data
            except (ConnectionError, http.client.HTTPException):
                self.connection.close()
                self.connection = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def send_json(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        """A JSON request; the status and the decoded answer."""
        status, raw = self.request(method, path, None if body is None else json.dumps(body).encode())
        return status, json.loads(raw)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
