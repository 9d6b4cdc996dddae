"""Signed client JWTs for the auth-on benchmark (`run.py --auth es384`).

With `CDS_AUTH=on` every call needs its own token: the service refuses a `jti` it has
seen (replay cache) and checks `aud` against the exact URL called. So tokens are signed
before each load run, outside the measured time, in a process pool (ES384 ≈ 0.6 ms and
RS384 ≈ 1 ms per signature here), written one per line, and `cycle.lua` (or
`loadgen.py --tokens`) sends the next line with each request.

- ES384: the CDS Hooks Sandbox issuer (`config/sandbox-trusted-issuers.json`), signed with
  the sandbox's published private key exactly as `tests/test_auth_app.py` does.
- RS384: an RSA-2048 key generated into a temp dir, with its own JWK Set and issuers file.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SANDBOX_KEY = ROOT / "tests" / "data" / "cds-hooks-sandbox-ec-private-key.pem"
SANDBOX_ISSUERS = ROOT / "config" / "sandbox-trusted-issuers.json"
SANDBOX_ISS = "https://sandbox.cds-hooks.org"
SANDBOX_KID = "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f"
SANDBOX_JKU = "https://sandbox.cds-hooks.org/.well-known/jwks.json"
RS_ISS = "https://bench-ehr.example.org"
RS_KID = "bench-rs384-1"
TOKEN_LIFETIME_S = 900  # > warm-up + run + signing time; the replay cache keeps each jti until exp + leeway


@dataclass(frozen=True)
class Signer:
    """One way of signing: the service's issuers file and what a token needs."""

    name: str  # "ES384" / "RS384"
    issuers_file: Path
    key_pem: bytes
    iss: str
    headers: dict

    def env(self) -> dict[str, str]:
        return {"CDS_AUTH": "on", "CDS_TRUSTED_ISSUERS_FILE": str(self.issuers_file),
                "CDS_LINK_SECRET": "benchmark-only-explanation-link-secret"}


def es384(key_file: Path = SANDBOX_KEY, issuers_file: Path = SANDBOX_ISSUERS) -> Signer:
    """The sandbox issuer, headers as the sandbox (and tests/test_auth_app.py) send them."""
    return Signer("ES384", issuers_file, key_file.read_bytes(), SANDBOX_ISS,
                  {"kid": SANDBOX_KID, "typ": "JWT", "jku": SANDBOX_JKU})


def rs384(directory: Path) -> Signer:
    """A fresh RSA-2048 key, its JWK Set and an issuers file trusting it, under `directory`."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    directory.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwk.update(kid=RS_KID, use="sig", alg="RS384")
    (directory / "rs384-jwks.json").write_text(json.dumps({"keys": [jwk]}))
    issuers = directory / "rs384-trusted-issuers.json"
    issuers.write_text(json.dumps({"issuers": {RS_ISS: {"jwks_file": "rs384-jwks.json"}}}))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return Signer("RS384", issuers, pem, RS_ISS, {"kid": RS_KID, "typ": "JWT"})


# -- signing in a pool -------------------------------------------------------------------------

_KEY = None


def _init(pem: bytes) -> None:
    global _KEY
    from cryptography.hazmat.primitives import serialization

    _KEY = serialization.load_pem_private_key(pem, password=None)


def _sign(args: tuple[str, str, dict, str, int, int]) -> list[str]:
    import jwt

    alg, iss, headers, aud, n, now = args
    claims = {"iss": iss, "aud": aud, "exp": now + TOKEN_LIFETIME_S, "iat": now}
    return [jwt.encode({**claims, "jti": str(uuid.uuid4())}, _KEY, algorithm=alg, headers=headers) for _ in range(n)]


class TokenMint:
    """A process pool per signer; `write(aud, n, path)` signs `n` tokens into `path`, one a line."""

    def __init__(self, signer: Signer, processes: int | None = None) -> None:
        self.signer = signer
        self.processes = processes or os.cpu_count() or 1
        self.pool = ProcessPoolExecutor(self.processes, initializer=_init, initargs=(signer.key_pem,))
        self.signed = 0
        self.sign_seconds = 0.0

    def write(self, aud: str, n: int, path: Path) -> Path:
        t = time.perf_counter()
        now = int(time.time())
        chunk = max(100, -(-n // (self.processes * 4)))
        jobs = [(self.signer.name, self.signer.iss, self.signer.headers, aud, min(chunk, n - i), now) for i in range(0, n, chunk)]
        with path.open("w") as f:
            for tokens in self.pool.map(_sign, jobs):
                f.write("\n".join(tokens))
                f.write("\n")
        self.signed += n
        self.sign_seconds += time.perf_counter() - t
        return path

    def close(self) -> None:
        self.pool.shutdown()
