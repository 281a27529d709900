"""A small server on loopback that answers like STS, for the failures moto cannot make.

Each test sets ``behaviour``: an error STS would send (its status, code and
message in STS's XML), a delay before answering, a dropped connection, or a
session with a chosen expiry. Every request's Action is recorded, so a test
can tell whether a code was sent at all.
"""

import datetime as dt
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ERROR_XML = """<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>
  <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
</ErrorResponse>"""

SESSION_XML = """<GetSessionTokenResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetSessionTokenResult><Credentials>
    <SessionToken>FAULTSERVERTOKEN{token}</SessionToken>
    <SecretAccessKey>faultserversecretfaultserversecret0000000</SecretAccessKey>
    <Expiration>{expiration}</Expiration>
    <AccessKeyId>ASIAFAULTSERVER00001</AccessKeyId>
  </Credentials></GetSessionTokenResult>
  <ResponseMetadata><RequestId>58c5dbae-abef-11e0-8cfe-09039844ac7d</RequestId></ResponseMetadata>
</GetSessionTokenResponse>"""


ACCOUNT = "210987654321"
IDENTITY = {
    "GetCallerIdentity": """<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult><Arn>arn:aws:iam::{account}:user/alice</Arn>
  <UserId>AIDAFAULTSERVER0001</UserId><Account>{account}</Account></GetCallerIdentityResult>
  <ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>""",
    "ListMFADevices": """<ListMFADevicesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <ListMFADevicesResult><IsTruncated>false</IsTruncated><MFADevices><member>
    <UserName>alice</UserName><SerialNumber>arn:aws:iam::{account}:mfa/alice</SerialNumber>
    <EnableDate>2026-01-01T00:00:00Z</EnableDate></member></MFADevices></ListMFADevicesResult>
  <ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>
</ListMFADevicesResponse>""",
}


def error(code: str, message: str = "", status: int = 400, lookups: bool = False) -> dict:
    """The behaviour of answering with STS's error ``code``.

    With ``lookups``, the device lookup (GetCallerIdentity, ListMFADevices)
    still answers, and only GetSessionToken fails.
    """
    behaviour = {"kind": "error", "status": status, "code": code, "message": message}
    return {**behaviour, "lookups": lookups}


class FaultSts:
    """The server; ``behaviour`` is a dict, see :meth:`answer`."""

    def __init__(self):
        self.behaviour = {"kind": "error", "status": 400, "code": "AccessDenied", "message": ""}
        self.actions: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                action = form.get("Action", [""])[0]
                owner.actions.append(action)
                owner.answer(self, action)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def answer(self, handler: BaseHTTPRequestHandler, action: str = "") -> None:
        b = self.behaviour
        if b["kind"] == "hang":
            time.sleep(b["seconds"])
            return
        if b["kind"] == "drop":
            handler.close_connection = True
            handler.connection.close()
            return
        if action in IDENTITY and (b["kind"] == "session" or b.get("lookups")):
            body, status = IDENTITY[action].format(account=b.get("account", ACCOUNT)), 200
        elif b["kind"] == "session":
            expiration = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=b["seconds"])
            body = SESSION_XML.format(
                expiration=expiration.strftime("%Y-%m-%dT%H:%M:%SZ"), token="X" * 200
            )
            status = 200
        else:
            body = ERROR_XML.format(code=b["code"], message=b["message"])
            status = b["status"]
        data = body.encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "text/xml")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
