"""Independent verifier of Catena evidence bundles (catena-evidence/1), and the proof checks the
client shares (certified headers from genesis validators, state proofs).

Written from docs/evidence.md alone, with nothing but the Python standard library (ed25519 is
RFC 8032's own algorithm below), so that a court need not trust the `catena` binary. It checks
every step from the trust root — the main chain's genesis validators — and prints what the
bundle establishes; any failure names its step and exits 1.

    python3 verify_evidence.py BUNDLE.json [--json]
    python3 verify_evidence.py BUNDLE.json BUNDLE2.json ...   (one line each)
"""

import base64
import datetime
import hashlib
import json
import sys

FORMAT = "catena-evidence/1"

USAGE = """Independent verifier of Catena evidence bundles (catena-evidence/1).

    python3 verify_evidence.py BUNDLE.json [--json]
    python3 verify_evidence.py BUNDLE.json BUNDLE2.json ...   (one line each)"""


class Fail(Exception):
    def __init__(self, step, reason):
        super().__init__(f"step '{step}' failed: {reason}")
        self.step = step


def utc(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def sha256(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


# --- ed25519 verification (RFC 8032, section 5.1.7, cofactorless, strict encodings) ---------

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _add(a, b):
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa = (y1 - x1) * (y2 - x2) % P
    bb = (y1 + x1) * (y2 + x2) % P
    c = t1 * 2 * D * t2 % P
    dd = z1 * 2 * z2 % P
    e, f, g, h = bb - aa, dd - c, dd + c, bb + aa
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(s, point):
    q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            q = _add(q, point)
        point = _add(point, point)
        s >>= 1
    return q


def _equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def _decompress(s):
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        if sign:
            return None
        x = 0
    else:
        x = pow(x2, (P + 3) // 8, P)
        if (x * x - x2) % P != 0:
            x = x * SQRT_M1 % P
        if (x * x - x2) % P != 0:
            return None
        if (x & 1) != sign:
            x = P - x
    return (x, y, 1, x * y % P)


GY = 4 * pow(5, P - 2, P) % P
BASE = _decompress(GY.to_bytes(32, "little"))


def ed25519_verify(public, message, signature):
    if len(signature) != 64:
        return False
    a = _decompress(public)
    r = _decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= L:
        return False
    # Small-order keys and R are refused, as the node's strict verification does.
    if _equal(_mul(8, a), (0, 1, 1, 0)) or _equal(_mul(8, r), (0, 1, 1, 0)):
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % L
    return _equal(_mul(s, BASE), _add(r, _mul(k, a)))


# --- SCALE -----------------------------------------------------------------------------------


class Reader:
    """SCALE bytes read in order (the client's codec reads with it too)."""

    def __init__(self, data, what="the value"):
        self.b, self.i, self.what = data, 0, what

    def take(self, n):
        if self.i + n > len(self.b):
            raise ValueError(f"{self.what} ends early")
        out = self.b[self.i : self.i + n]
        self.i += n
        return out

    def u8(self):
        return self.take(1)[0]

    def u32(self):
        return int.from_bytes(self.take(4), "little")

    def u64(self):
        return int.from_bytes(self.take(8), "little")

    def compact(self):
        first = self.u8()
        mode = first & 3
        if mode == 0:
            return first >> 2
        if mode == 1:
            value = (first | self.u8() << 8) >> 2
            if value < 64:
                raise ValueError("non-canonical compact")
            return value
        if mode == 2:
            value = (first | int.from_bytes(self.take(3), "little") << 8) >> 2
            if value < 2**14:
                raise ValueError("non-canonical compact")
            return value
        n = (first >> 2) + 4
        value = int.from_bytes(self.take(n), "little")
        if value < 2**30 or value >> (8 * (n - 1)) == 0:
            raise ValueError("non-canonical compact")
        return value

    def bytes_(self):
        return self.take(self.compact())

    def string(self):
        return self.bytes_().decode("utf-8")

    def option(self, read):
        tag = self.u8()
        if tag == 0:
            return None
        if tag == 1:
            return read()
        raise ValueError("bad option tag")

    def vec(self, read):
        return [read() for _ in range(self.compact())]

    def done(self):
        if self.i != len(self.b):
            raise ValueError(f"{self.what} has {len(self.b) - self.i} bytes too many")


def header(r):
    start = r.i
    h = {
        "chain_id": r.string(),
        "height": r.u64(),
        "parent_hash": r.take(32),
        "time_ms": r.u64(),
        "proposer": r.take(32),
        "tx_root": r.take(32),
        "state_root": r.take(32),
        "receipts_root": r.take(32),
        "validator_set_hash": r.take(32),
    }
    h["hash"] = sha256(r.b[start : r.i])
    return h


def certificate(r):
    return {
        "height": r.u64(),
        "round": r.u32(),
        "block_hash": r.take(32),
        "signatures": r.vec(lambda: (r.take(32), r.take(64))),
    }


def handover(r):
    return {
        "header": header(r),
        "certificate": certificate(r),
        "next_validators": r.bytes_(),
        "next_validators_proof": r.bytes_(),
    }


def certified(data, what):
    r = Reader(data, what)
    out = {"chain_id": r.string(), "handovers": r.vec(lambda: handover(r)), "header": handover(r)}
    r.done()
    return out


def entry(data, what):
    r = Reader(data, what)
    out = {"key": r.bytes_(), "value": r.option(r.bytes_), "proof": r.bytes_()}
    r.done()
    return out


def compact_bytes(n):
    if n < 64:
        return bytes([n << 2])
    if n < 2**14:
        return ((n << 2) | 1).to_bytes(2, "little")
    if n < 2**30:
        return ((n << 2) | 2).to_bytes(4, "little")
    raw = n.to_bytes((n.bit_length() + 7) // 8, "little")
    return bytes([((len(raw) - 4) << 2) | 3]) + raw


def set_hash(keys):
    return sha256(compact_bytes(len(keys)) + b"".join(keys))


# --- proofs ----------------------------------------------------------------------------------

PLACEHOLDER = b"SPARSE_MERKLE_PLACEHOLDER_HASH__"


def state_proof_ok(proof, root, key, value):
    """The JMT proof (Borsh) of `key` holding `value` (None: absent) under `root`."""
    r = Reader(proof, "a state proof")
    leaf = None
    tag = r.u8()
    if tag == 1:
        leaf = (r.take(32), r.take(32))
    elif tag != 0:
        return False
    count = r.u32()
    if count > 256:
        return False
    siblings = []
    for _ in range(count):
        kind = r.u8()
        if kind == 0:
            siblings.append(PLACEHOLDER)
        elif kind == 1:
            siblings.append(sha256(b"JMT::IntrnalNode", r.take(32), r.take(32)))
        elif kind == 2:
            siblings.append(sha256(b"JMT::LeafNode", r.take(32), r.take(32)))
        else:
            return False
    r.done()
    key_hash = sha256(key)
    if value is not None:
        if leaf is None or leaf[0] != key_hash or leaf[1] != sha256(value):
            return False
    elif leaf is not None:
        if leaf[0] == key_hash:
            return False
        differ = int.from_bytes(key_hash, "big") ^ int.from_bytes(leaf[0], "big")
        if 256 - differ.bit_length() < count:
            return False
    node = sha256(b"JMT::LeafNode", leaf[0], leaf[1]) if leaf else PLACEHOLDER
    for k, sibling in enumerate(siblings):
        position = count - 1 - k
        bit = (key_hash[position // 8] >> (7 - position % 8)) & 1
        node = sha256(b"JMT::IntrnalNode", sibling, node) if bit else sha256(
            b"JMT::IntrnalNode", node, sibling
        )
    return node == root


def ordered_root(items):
    if not items:
        return sha256(b"")
    level = [sha256(b"\x00", h) for h in items]
    while len(level) > 1:
        level = [
            sha256(b"\x01", level[i], level[i + 1]) if i + 1 < len(level) else level[i]
            for i in range(0, len(level), 2)
        ]
    return level[0]


def vote_bytes(chain_id, cert):
    raw = chain_id.encode()
    return (
        b"catena/commit-vote/v1"
        + compact_bytes(len(raw))
        + raw
        + cert["height"].to_bytes(8, "little")
        + cert["round"].to_bytes(4, "little")
        + cert["block_hash"]
    )


def validator_entries(data):
    r = Reader(data, "a validator set")
    keys = r.vec(lambda: (r.take(32), r.string(), r.string(), r.string())[0])
    r.done()
    return keys


def check_certified(c, chain_id, genesis, step):
    """Follows the set from `genesis` through each handover to the header; the header."""
    if c["chain_id"] != chain_id:
        raise Fail(step, f"is of chain '{c['chain_id']}', not '{chain_id}'")
    validators = list(genesis)
    for n, h in enumerate(c["handovers"] + [c["header"]]):
        head, cert = h["header"], h["certificate"]
        where = f"{step} (header at height {head['height']})"
        if head["chain_id"] != chain_id or head["validator_set_hash"] != set_hash(validators):
            raise Fail(where, "names another chain or validator set than the one followed")
        if cert["height"] != head["height"] or cert["block_hash"] != head["hash"]:
            raise Fail(where, "the certificate is of another block")
        message = vote_bytes(chain_id, cert)
        seen = []
        for key, sig in cert["signatures"]:
            if key not in validators or key in seen or not ed25519_verify(key, message, sig):
                raise Fail(where, "a certificate signature does not verify")
            seen.append(key)
        needed = len(validators) - (len(validators) - 1) // 3
        if len(seen) < needed:
            raise Fail(where, f"{len(seen)} signatures, a quorum needs {needed}")
        if not state_proof_ok(
            h["next_validators_proof"], head["state_root"], b"sys/validators", h["next_validators"]
        ):
            raise Fail(where, "the next validator set's proof does not verify")
        validators = validator_entries(h["next_validators"])
    return c["header"]["header"]


# --- the bundle ------------------------------------------------------------------------------

SYSTEM = {sha256(b"catena/system/v1", n.encode()): n for n in ("registry", "records", "cash", "voucher")}
CONTRACT = {n: i for i, n in SYSTEM.items()}
KINDS = ["contract", "purchase_order", "shipment", "delivery_receipt", "warehouse_receipt", "invoice", "payment"]
ACTIONS = ["Issued", "SplitInto", "SplitFrom", "Transferred", "Offered", "Pledged", "Released",
           "Factored", "CancelConsent", "Cancelled", "Paid", "Overdue", "OfferWithdrawn",
           "Recourse", "HeldBack"]


def hexfield(text, step):
    if not isinstance(text, str) or not text.startswith("0x") or text != text.lower():
        raise Fail(step, "a byte string is not lowercase 0x hex")
    try:
        return bytes.fromhex(text[2:])
    except ValueError:
        raise Fail(step, "a byte string is not hex")


def fields(obj, names, step):
    if not isinstance(obj, dict) or list(obj) != names:
        raise Fail(step, f"expected the fields {names}")
    return obj


def storage_key(contract, key):
    return b"contract/" + CONTRACT[contract] + b"/" + key


def describe(key, value, facts, where):
    """A fact from a proved entry; raises on a key no bundle carries."""
    r = Reader(value, "an entry's value")
    if key.startswith(storage_key("voucher", b"v/")):
        vid, root, parent = r.u64(), r.u64(), r.option(r.u64)
        r.vec(r.u64)
        issuer, holder, amount, paid = r.string(), r.string(), r.u64(), r.u64()
        currency = r.string()
        facts.append(f"At {where}, voucher {vid} (original {root}{'' if parent is None else f', split from {parent}'}) "
                     f"issued by {issuer} for {amount / 100:.2f} {currency} is held by {holder}, {paid / 100:.2f} paid.")
    elif key.startswith(storage_key("voucher", b"e/")):
        rest = key[len(storage_key("voucher", b"e/")):]
        vid = int.from_bytes(rest[:8], "big")
        height, time_ms, action = r.u64(), r.u64(), r.u8()
        name = ACTIONS[action] if action < len(ACTIONS) else f"action {action}"
        detail = ""
        if name == "Issued":
            detail = f" to {r.string()} for {r.u64() / 100:.2f}"
        elif name == "Transferred":
            detail = f" from {r.string()} to {r.string()}"
        facts.append(f"Voucher {vid}: {name}{detail} at block {height} ({utc(time_ms)}).")
    elif key.startswith(storage_key("records", b"r/")):
        rid, kind = r.take(32), r.u8()
        recorder, account = r.string(), r.take(32)
        r.vec(r.string)
        r.u64()
        r.string()
        r.u64()
        r.vec(lambda: r.take(32))
        r.option(lambda: (r.string(), r.string(), r.string(), r.string()))
        height, time_ms = r.u64(), r.u64()
        r.done()
        facts.append(f"Document sha256 0x{rid.hex()} ({KINDS[kind] if kind < len(KINDS) else kind}) was recorded by "
                     f"member {recorder} with account 0x{account.hex()} at block {height} ({utc(time_ms)}).")
        return rid
    elif key.startswith(storage_key("registry", b"a/")):
        member, uscc = r.string(), r.string()
        facts.append(f"Account 0x{key[-32:].hex()} is an account of member {member} ({uscc}).")
    else:
        raise ValueError(f"the key 0x{key.hex()} is none a bundle carries")
    return None


def verify(data):
    step = "format"
    try:
        bundle = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise Fail(step, f"not JSON: {e}")
    if json.dumps(bundle, separators=(",", ":"), ensure_ascii=False).encode("utf-8") != data:
        raise Fail(step, "not the canonical encoding of its content")
    fields(bundle, ["format", "subject", "chain_id", "trust_root", "main", "parachain", "entries", "blocks", "documents"], step)
    if bundle["format"] != FORMAT:
        raise Fail(step, f"format is not {FORMAT}")
    facts = []
    chain_id = bundle["chain_id"]
    trust = fields(bundle["trust_root"], ["main_chain_id", "validators"], "trust root")
    genesis = [hexfield(v, "trust root") for v in trust["validators"]]
    main_id = trust["main_chain_id"]

    def parse(fn, text, step_name, what):
        try:
            return fn(hexfield(text, step_name), what)
        except ValueError as e:
            raise Fail(step_name, str(e))

    main = parse(certified, bundle["main"], "main header", "the main header")
    main_header = check_certified(main, main_id, genesis, "main header")
    facts.append(f"The main chain '{main_id}' certified its block {main_header['height']} ({utc(main_header['time_ms'])}).")
    root, chain_genesis = main_header["state_root"], genesis
    where = f"main block {main_header['height']}"
    para = bundle["parachain"]
    if para is None:
        if chain_id != main_id:
            raise Fail("chain", "the subject's chain is not the main chain and no parachain part is given")
    else:
        step = "parachain registration"
        fields(para, ["id", "registration", "anchored", "anchor_proof"], step)
        if para["id"] != chain_id:
            raise Fail(step, "names another parachain than the subject's chain")
        reg = parse(entry, para["registration"], step, "the registration")
        if reg["key"] != b"sys/para/" + chain_id.encode() or reg["value"] is None:
            raise Fail(step, "is not the registration of that parachain")
        if not state_proof_ok(reg["proof"], main_header["state_root"], reg["key"], reg["value"]):
            raise Fail(step, "not in the main chain's state")
        try:
            r = Reader(reg["value"], "the registration")
            if r.string() != chain_id:
                raise ValueError("registers another parachain")
            r.take(32)
            r.vec(r.string)
            chain_genesis = r.vec(lambda: (r.take(32), r.string())[0])
        except ValueError as e:
            raise Fail(step, str(e))
        step = "anchor"
        anchored_bytes = hexfield(para["anchored"], step)
        try:
            r = Reader(anchored_bytes, "the anchored block")
            height, _, state_root, time_ms, _, main_height = r.u64(), r.take(32), r.take(32), r.u64(), r.take(32), r.u64()
            r.done()
            r = Reader(hexfield(para["anchor_proof"], step), "the anchor proof")
            proof = r.bytes_()
            r.done()
        except ValueError as e:
            raise Fail(step, str(e))
        key = b"sys/para-anchor/" + chain_id.encode() + b"/" + height.to_bytes(8, "big")
        if not state_proof_ok(proof, main_header["state_root"], key, anchored_bytes):
            raise Fail(step, "not anchored on the main chain")
        root = state_root
        where = f"{chain_id}'s block {height} ({utc(time_ms)})"
        facts.append(f"Parachain '{chain_id}' is registered ({len(chain_genesis)} genesis validators); its block {height} "
                     f"({utc(time_ms)}) is anchored on the main chain by main block {main_height}.")
    records, vouchers = set(), set()
    for n, text in enumerate(bundle["entries"], 1):
        step = f"entry {n}"
        e = parse(entry, text, step, "the entry")
        if e["value"] is None or not state_proof_ok(e["proof"], root, e["key"], e["value"]):
            raise Fail(step, "not in the proved state")
        try:
            rid = describe(e["key"], e["value"], facts, where)
        except (ValueError, IndexError) as err:
            raise Fail(step, str(err))
        if rid:
            records.add(rid)
        if e["key"].startswith(storage_key("voucher", b"v/")):
            vouchers.add(int.from_bytes(e["key"][-8:], "big"))
    for n, block in enumerate(bundle["blocks"], 1):
        step = f"block {n}"
        fields(block, ["certified", "tx_hashes", "receipt_hashes", "transactions"], step)
        head = check_certified(parse(certified, block["certified"], step, "the block"), chain_id, chain_genesis, step)
        txs = [hexfield(h, step) for h in block["tx_hashes"]]
        receipts = [hexfield(h, step) for h in block["receipt_hashes"]]
        if ordered_root(txs) != head["tx_root"] or ordered_root(receipts) != head["receipts_root"] or len(receipts) < len(txs):
            raise Fail(step, "its lists of hashes are not its roots'")
        facts.append(f"{chain_id}'s block {head['height']} ({utc(head['time_ms'])}) was certified by its validators.")
        for t in block["transactions"]:
            fields(t, ["index", "tx", "receipt"], step)
            index = t["index"]
            tstep = f"{step} transaction {index}"
            tx, receipt = hexfield(t["tx"], tstep), hexfield(t["receipt"], tstep)
            if not isinstance(index, int) or not 0 <= index < len(txs) or sha256(tx) != txs[index]:
                raise Fail(tstep, "is not the block's transaction at that place")
            if sha256(receipt) != receipts[len(receipts) - len(txs) + index] or receipt[:32] != sha256(tx):
                raise Fail(tstep, "the receipt is not the block's receipt of it")
            try:
                r = Reader(tx, "the transaction")
                tx_chain, _, signer = r.string(), r.u64(), r.take(32)
                call = r.u8()
                method = ""
                if call == 6:
                    contract = r.take(32)
                    method = f" and called {SYSTEM.get(contract, '0x' + contract.hex())}.{r.string()}"
            except ValueError as e:
                raise Fail(tstep, str(e))
            if tx_chain != chain_id or not ed25519_verify(signer, tx[:-64], tx[-64:]):
                raise Fail(tstep, "not signed by its signer for this chain")
            outcome = "it succeeded" if receipt[32] == 0 else "it failed"
            facts.append(f"Transaction 0x{sha256(tx).hex()} in block {head['height']} was signed by 0x{signer.hex()}{method}; {outcome}.")
    for n, doc in enumerate(bundle["documents"], 1):
        step = f"document {n}"
        fields(doc, ["sha256", "content"], step)
        try:
            content = base64.b64decode(doc["content"], validate=True)
        except ValueError:
            raise Fail(step, "not base64")
        if base64.b64encode(content).decode() != doc["content"]:
            raise Fail(step, "not canonical base64")
        digest = hexfield(doc["sha256"], step)
        if sha256(content) != digest or digest not in records:
            raise Fail(step, "not a proved record's document")
        facts.append(f"The document carried with SHA-256 0x{digest.hex()} is the one recorded.")
    subject = bundle["subject"]
    if list(subject) == ["voucher"] and subject["voucher"] in vouchers:
        name = f"voucher {subject['voucher']}"
    elif list(subject) == ["record"] and hexfield(subject["record"], "subject") in records:
        name = f"document {subject['record']}"
    else:
        raise Fail("subject", "the bundle does not prove its subject")
    return name, facts


def main(argv):
    files = [a for a in argv[1:] if not a.startswith("--")]
    if not files:
        print(USAGE, file=sys.stderr)
        return 2
    if len(files) > 1:
        # Several bundles: one line each; success only if every one verifies.
        verified = 0
        for path in files:
            with open(path, "rb") as f:
                data = f.read(256 << 20)
            try:
                name, _ = verify(data)
                print(f"{path}: verified {name}")
                verified += 1
            except Fail as e:
                print(f"{path}: {e}")
        return 0 if verified == len(files) else 1
    with open(files[0], "rb") as f:
        data = f.read(256 << 20)
    try:
        name, facts = verify(data)
    except Fail as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if "--json" in argv[2:]:
        print(json.dumps({"verified": True, "subject": name, "facts": facts}))
        return 0
    print(f"verified (independent verifier): the evidence of {name} on {json.loads(data)['chain_id']}")
    for n, fact in enumerate(facts, 1):
        print(f"{n:>3}. {fact}")
    print("It does not prove that a document is true, anything after the anchored block, or that")
    print("the trust root is the consortium's: compare it with the main chain's published spec.")
    return 0

