"""A client of a Catena node's HTTP API: keys, transactions for every system-contract method,
submitting and waiting, reads (signed where the chain's data is for its members), decoding by the
node's schema, and checking state proofs from the genesis validators.
"""

import hashlib
import json
import time
import urllib.error
import urllib.parse
import urllib.request

from . import evidence
from .scale import Reader, ScaleError, Schema, byte_string, hex_bytes, string

#: The first line of a signed read's message (catena_primitives::read::DOMAIN).
READ_DOMAIN = "catena-signed-read/v1"
#: `Call::CallContract`'s index in the transaction's call enum.
CALL_CONTRACT = 6
#: `Call::Remark`'s index.
REMARK = 0


class ApiError(Exception):
    """An answer that is not a success: its HTTP status, the node's error code and message."""

    def __init__(self, status, code, message):
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class CallFailed(Exception):
    """A transaction that was committed, but whose call failed: the chain's reason."""

    def __init__(self, tx_hash, reason):
        super().__init__(f"transaction {tx_hash} failed: {reason}")
        self.tx_hash, self.reason = tx_hash, reason


class Key:
    """An ed25519 key: its account (the public key) signs transactions and reads."""

    def __init__(self, seed):
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        if len(seed) != 32:
            raise ValueError("an ed25519 seed is 32 bytes")
        self._key = Ed25519PrivateKey.from_private_bytes(bytes(seed))
        self.account = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @classmethod
    def from_file(cls, path):
        """A key file as `catena key generate --out` writes it: {account, secret_seed}."""
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        key = cls(hex_bytes(data["secret_seed"], "secret_seed"))
        if "0x" + key.account.hex() != data["account"].lower():
            raise ValueError(f"{path}: the account does not match the secret seed")
        return key

    @property
    def account_hex(self):
        return "0x" + self.account.hex()

    def sign(self, message):
        return self._key.sign(bytes(message))


def transaction(chain_id, nonce, key, call):
    """The SCALE bytes of a signed transaction: chain id, nonce, signer, call, then the
    signature over everything before it."""
    unsigned = string(chain_id) + int(nonce).to_bytes(8, "little") + key.account + call
    return unsigned + key.sign(unsigned)


def contract_call(contract_id, method, argument_bytes):
    """The bytes of `Call::CallContract { contract, method, input }`."""
    return bytes([CALL_CONTRACT]) + hex_bytes(contract_id, "a contract id") + string(method) + byte_string(
        argument_bytes
    )


def remark(text_or_bytes):
    raw = text_or_bytes.encode("utf-8") if isinstance(text_or_bytes, str) else bytes(text_or_bytes)
    return bytes([REMARK]) + byte_string(raw)


def tx_hash(tx_bytes):
    return "0x" + hashlib.sha256(tx_bytes).hexdigest()


def read_message(chain_id, method, path, query, timestamp_ms, body):
    """What a signed read signs (catena_primitives::read::Request::message)."""
    lines = [READ_DOMAIN, chain_id, method.upper(), path, query, str(timestamp_ms)]
    return ("\n".join(lines) + "\n" + hashlib.sha256(body).hexdigest()).encode("utf-8")


class Client:
    """A chain on a node: `Client("http://127.0.0.1:8545")` for the main chain, with
    `chain="para-a"` for another chain the node hosts, with `reader=Key` to sign every request
    (a chain whose data is for its members)."""

    def __init__(self, api, chain=None, reader=None, timeout=30):
        self.api = api.rstrip("/")
        self.prefix = f"/chains/{chain}" if chain else ""
        self.reader = reader
        self.timeout = timeout
        self._chain_id = chain
        self._schema = None

    # -- HTTP ------------------------------------------------------------------------------

    def request(self, method, path, body=None):
        """The JSON answer to `method path` (with a JSON `body`); ApiError when not a success."""
        full = self.prefix + path
        data = json.dumps(body).encode("utf-8") if body is not None else b""
        headers = {"content-type": "application/json"} if body is not None else {}
        if self.reader is not None:
            parts = urllib.parse.urlsplit(full)
            now = int(time.time() * 1000)
            chain_id = self.chain_id()
            message = read_message(chain_id, method, parts.path, parts.query, now, data)
            headers.update(
                {
                    "x-catena-account": self.reader.account_hex,
                    "x-catena-timestamp": str(now),
                    "x-catena-signature": "0x" + self.reader.sign(message).hex(),
                }
            )
        request = urllib.request.Request(self.api + full, data=data or None, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                text = answer.read().decode("utf-8")
                return json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            text = e.read().decode("utf-8", "replace")
            try:
                error = json.loads(text)["error"]
                raise ApiError(e.code, error["code"], error["message"]) from None
            except (ValueError, KeyError, TypeError):
                raise ApiError(e.code, "http", text) from None

    def get(self, path):
        return self.request("GET", path)

    def chain_id(self):
        if self._chain_id is None:
            # The main chain's id: GET /chains lists it first, and needs no signature.
            reader, self.reader = self.reader, None
            try:
                self._chain_id = self.get("/chains")[0]["chain_id"]
            finally:
                self.reader = reader
        return self._chain_id

    def schema(self):
        if self._schema is None:
            self._schema = Schema(self.get("/schema"))
        return self._schema

    # -- transactions ----------------------------------------------------------------------

    def next_nonce(self, account_hex):
        return self.get(f"/accounts/{account_hex}")["next_nonce"]

    def submit(self, tx_bytes):
        """Submits a signed transaction; its hash once the node admitted it."""
        return self.request("POST", "/transactions", {"transaction": "0x" + tx_bytes.hex()})["hash"]

    def wait(self, hash_hex, timeout=60.0):
        """The transaction once committed (its view with the receipt); raises past `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                view = self.get(f"/transactions/{hash_hex}")
                if view["status"] == "committed":
                    return view
                if view["status"] == "dropped":
                    raise CallFailed(hash_hex, f"dropped: {view.get('dropped_reason')}")
            except ApiError as e:
                if e.status != 404:
                    raise
            if time.monotonic() > deadline:
                raise TimeoutError(f"transaction {hash_hex} not committed within {timeout} s")
            time.sleep(0.1)

    def send(self, key, call, wait=True):
        """Signs `call` as `key` at its next nonce, submits it and (with `wait`) waits for its
        block: the committed view; CallFailed if the call failed."""
        nonce = self.next_nonce(key.account_hex)
        tx = transaction(self.chain_id(), nonce, key, call)
        hash_hex = self.submit(tx)
        if not wait:
            return {"hash": hash_hex, "status": "submitted"}
        view = self.wait(hash_hex)
        receipt = view["receipt"]
        if not receipt["success"]:
            raise CallFailed(hash_hex, receipt["error"])
        return view

    def call(self, key, contract, method, argument, wait=True):
        """Calls system contract `contract`'s `method` with `argument` (JSON as the schema
        reads it), signed by `key`; the committed view with `output` decoded."""
        schema = self.schema()
        data = schema.encode_argument(contract, method, argument)
        view = self.send(key, contract_call(schema.contract_id(contract), method, data), wait)
        if wait:
            view["output"] = schema.decode_output(contract, method, view["receipt"]["output"])
        return view

    def query(self, contract, method, argument):
        """Runs a system contract's method read-only on the latest state; its output decoded."""
        schema = self.schema()
        data = schema.encode_argument(contract, method, argument)
        answer = self.request(
            "POST",
            f"/contracts/{schema.contract_id(contract)}/query",
            {"method": method, "input": "0x" + data.hex()},
        )
        return schema.decode_output(contract, method, answer["output"])

    # -- reads -----------------------------------------------------------------------------

    def voucher(self, voucher_id):
        """A voucher as the contract stores it, decoded here from its SCALE bytes."""
        return self.query("voucher", "get", voucher_id)

    def record(self, hash_hex):
        return self.query("records", "get", hash_hex)

    def events(self, **filters):
        """A page of events, each with `data` decoded here by the schema (`decoded`) where it
        is a system contract's."""
        query = urllib.parse.urlencode({k: v for k, v in filters.items() if v is not None})
        page = self.get("/events" + (f"?{query}" if query else ""))
        schema = self.schema()
        for event in page["events"]:
            name = schema.contract_name(event["contract"])
            if name is not None:
                event["decoded"] = schema.decode_event(name, event["topic"], event["data"])
        return page

    # -- proofs ----------------------------------------------------------------------------

    def proven(self, key, genesis_validators):
        """The value (bytes or None) of state entry `key` (bytes), proved under a header
        certified from `genesis_validators` (32-byte accounts: the trust root, from the chain's
        spec). Raises evidence.Fail naming the step that does not hold."""
        view = self.get(f"/proofs/0x{bytes(key).hex()}")
        if view["kind"] != "in_state":
            raise ScaleError(f"a {view['kind']} proof; this client checks in_state proofs")
        return verify_in_state(hex_bytes(view["proof"]), self.chain_id(), genesis_validators, key)


def verify_in_state(proof, chain_id, genesis_validators, key):
    """Checks an `InState` proof (SCALE: a certified header, then the entry) of `key` on chain
    `chain_id` from its genesis validators: the entry's value (bytes or None) and the header."""
    r = evidence.Reader(proof, "the proof")
    certified = {
        "chain_id": r.string(),
        "handovers": r.vec(lambda: evidence.handover(r)),
        "header": evidence.handover(r),
    }
    entry = evidence.entry(proof[r.i :], "the entry")
    header = evidence.check_certified(certified, chain_id, [bytes(v) for v in genesis_validators], "the header")
    if entry["key"] != bytes(key):
        raise evidence.Fail("the entry", "proves another key")
    if not evidence.state_proof_ok(entry["proof"], header["state_root"], entry["key"], entry["value"]):
        raise evidence.Fail("the entry", "its proof does not verify under the certified state root")
    return entry["value"], header


def genesis_validators(spec_path):
    """The genesis validators' accounts of a chain spec file (the trust root of its proofs)."""
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    return [hex_bytes(v["account"], "a validator account") for v in spec["validators"]]


__all__ = [
    "ApiError",
    "CallFailed",
    "Client",
    "Key",
    "Reader",
    "contract_call",
    "genesis_validators",
    "read_message",
    "remark",
    "transaction",
    "tx_hash",
    "verify_in_state",
]
