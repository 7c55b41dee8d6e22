"""TLS verification always on, optional certificate pinning, and the clock check that
refuses to sign with a clock known to be wrong."""

from __future__ import annotations

import datetime as dt
import email.utils
import http.server
import ipaddress
import re
import ssl
import threading
from pathlib import Path

import httpx
import pytest

from kiosk.backends.pinning import ClockGuard, ClockWrong, certificate_pins, normalise_pin, pinned_ssl_context, secure_transport

ROOT = Path(__file__).resolve().parents[2]


def test_no_back_end_turns_tls_verification_off():
    bad = re.compile(r"verify\s*=\s*False|CERT_NONE|check_hostname\s*=\s*False|_create_unverified_context")
    for path in sorted((ROOT / "kiosk").rglob("*.py")):
        assert not bad.search(path.read_text(encoding="utf-8")), f"{path} turns TLS verification off"


def test_no_setting_can_turn_it_off():
    from kiosk.settings import Settings

    for section, field in Settings.model_fields.items():
        model = field.annotation
        for name in getattr(model, "model_fields", {}):
            assert not re.search(r"insecure|tls_verify|ssl_verify|verify_tls|verify_ssl|no_verify", name), f"{section}.{name}"


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    pem = cert.public_bytes(serialization.Encoding.PEM)
    (folder / "cert.pem").write_bytes(pem)
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://localhost:{server.server_address[1]}", pem.decode(), cert.public_bytes(serialization.Encoding.DER)
    server.shutdown()


def get(url: str, context: ssl.SSLContext) -> httpx.Response:
    with httpx.Client(transport=httpx.HTTPTransport(verify=context), timeout=5) as client:
        return client.get(url)


def test_verification_is_on_and_pins_are_checked_on_connect(tls_server):
    url, pem, der = tls_server
    with pytest.raises(httpx.ConnectError):  # an unknown CA is refused: verification is on
        get(url, pinned_ssl_context())
    spki, whole = sorted(certificate_pins(der))
    for pins in ([], [spki], [whole], ["00" * 32, spki]):
        context = pinned_ssl_context(pins)
        context.load_verify_locations(cadata=pem)
        assert get(url, context).text == "ok"
    context = pinned_ssl_context(["ab" * 32])
    context.load_verify_locations(cadata=pem)
    with pytest.raises(httpx.ConnectError):
        get(url, context)


def test_plain_http_loads_no_ca_store_and_trusts_no_tls_peer(tls_server, monkeypatch):
    """Start-up time: a plain-HTTP back end (the simulators) does not pay for loading the CA
    store; and should it ever be led to an https:// address, no certificate is trusted."""
    from kiosk.backends import pinning

    pinning._verifying_context.cache_clear()

    def no_ca_store(*args, **kwargs):
        raise AssertionError("the CA store was loaded for a plain-HTTP back end")

    monkeypatch.setattr(ssl.SSLContext, "load_default_certs", no_ca_store)
    monkeypatch.setattr(ssl.SSLContext, "set_default_verify_paths", no_ca_store)
    transport = secure_transport("http://127.0.0.1:8700", clock_guard=ClockGuard())
    url, _pem, _der = tls_server
    with httpx.Client(transport=transport, timeout=5) as client, pytest.raises(httpx.ConnectError):
        client.get(url)
    monkeypatch.undo()
    pinning._verifying_context.cache_clear()
    with pytest.raises(httpx.ConnectError):  # and https:// still verifies against the real store
        with httpx.Client(transport=secure_transport(url), timeout=5) as client:
            client.get(url)


def test_pins_in_hex_or_base64():
    import base64

    digest = bytes(range(32))
    assert normalise_pin(digest.hex().upper()) == digest.hex()
    assert normalise_pin(":".join(f"{b:02x}" for b in digest)) == digest.hex()
    assert normalise_pin("sha256/" + base64.b64encode(digest).decode()) == digest.hex()
    with pytest.raises(ValueError):
        normalise_pin("abc")
    with pytest.raises(ValueError):
        secure_transport("http://example.com", [digest.hex()])


def test_clock_check_year_and_server_date():
    wall, mono = [1_790_000_000.0], [100.0]
    guard = ClockGuard(wall=lambda: wall[0], mono=lambda: mono[0])
    assert guard.problem() == "" and guard.now() == wall[0]
    guard.observe(email.utils.formatdate(wall[0] + 120, usegmt=True))  # the server is 2 min ahead
    assert "120 s behind" in guard.problem()
    with pytest.raises(ClockWrong) as caught:
        guard.now()
    assert "Set the clock" in caught.value.message and caught.value.code == "CLOCK_WRONG"
    wall[0] += 120  # NTP sets it right: the next request may go
    mono[0] += 1
    wall[0] += 1
    assert guard.problem() == ""
    old = ClockGuard(wall=lambda: 1_500_000_000.0)  # 2017
    assert "2017" in old.problem()


def test_the_teller_says_the_clock_is_wrong():
    from kiosk.desks.rapyd import teller_error

    error = teller_error(ClockWrong("The terminal's clock is 120 s behind."))
    assert error.code == "CLOCK_WRONG" and "clock" in error.message


def test_rapyd_client_refuses_to_sign_with_a_wrong_clock():
    from kiosk.backends.rapyd import RapydClient

    sent = []
    guard = ClockGuard(wall=lambda: 1_500_000_000.0)
    client = RapydClient(
        "https://example.invalid", "access", "secret", "pos-1",
        transport=httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(200)), clock=guard.now,
    )
    with pytest.raises(ClockWrong):
        client.echo()
    assert sent == []
