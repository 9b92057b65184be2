"""The Python client against a running node (tests/clients.rs starts it and tells the story):
the schema's codec agrees with the node byte for byte, a voucher transfer is built, signed,
sent and waited for, its new state is proved from the genesis validators, and a parachain's
reads are signed.

Environment: CATENA_API (the node), CATENA_KEYS (the demo members' key files), CATENA_SPEC (the
main chain's spec: its genesis validators are the trust root), CATENA_VOUCHER (a voucher Tier 2
holds), CATENA_PARACHAIN (a chain whose reads are for its members).
"""

import os
import struct

import pytest

from catena_client import Schema, ScaleError
from catena_client.client import (
    ApiError,
    CallFailed,
    Client,
    Key,
    genesis_validators,
    remark,
)

API = os.environ["CATENA_API"]
KEYS = os.environ["CATENA_KEYS"]


def key(name):
    return Key.from_file(os.path.join(KEYS, f"{name}.json"))


def uscc_of(client, name):
    account = key(name).account_hex
    for member in client.get("/members"):
        if account in member["accounts"]:
            return member["uscc"]
    raise AssertionError(f"{name} is no member")


@pytest.fixture(scope="module")
def client():
    return Client(API)


def test_the_codec_reads_every_event_as_the_node_does_and_writes_the_same_bytes(client):
    schema = client.schema()
    page = client.get("/events?limit=1000")
    assert len(page["events"]) >= 8
    for event in page["events"]:
        name = schema.contract_name(event["contract"])
        assert name is not None, event
        decoded = schema.decode_event(name, event["topic"], event["data"])
        assert decoded == event["decoded"], event
        again = schema.encode(schema.event(name, event["topic"])["data"], decoded)
        assert "0x" + again.hex() == event["data"], event
    with pytest.raises(ScaleError):
        schema.decode_event("voucher", "transferred", event["data"] + "00")
    with pytest.raises(ScaleError):
        schema.encode_argument("voucher", "transfer", {"voucher": 1, "to": "X"})


def test_a_voucher_transfer_is_signed_sent_committed_and_proved(client):
    voucher = int(os.environ["CATENA_VOUCHER"])
    tier3 = uscc_of(client, "tier3-materials")
    before = client.voucher(voucher)
    assert before["holder"] == uscc_of(client, "tier2-parts")

    view = client.call(key("tier2-parts"), "voucher", "transfer", {"voucher": voucher, "to": tier3, "amount": None})
    assert view["status"] == "committed" and view["receipt"]["success"]
    moved = view["output"]
    assert client.voucher(moved)["holder"] == tier3
    assert client.get(f"/vouchers/{moved}")["holder"] == tier3

    # The transfer's event, decoded here.
    events = client.events(contract="0x" + bytes.fromhex(client.schema().contract_id("voucher")[2:]).hex(),
                           from_height=view["block_height"], to_height=view["block_height"])
    assert any(e["topic"] == "transferred" and e["decoded"]["id"] == moved for e in events["events"])

    # The voucher's state entry, proved from the genesis validators of the main chain's spec.
    schema = client.schema()
    voucher_id = bytes.fromhex(schema.contract_id("voucher")[2:])
    storage_key = b"contract/" + voucher_id + b"/v/" + struct.pack(">Q", moved)
    value, header = client.proven(storage_key, genesis_validators(os.environ["CATENA_SPEC"]))
    option = schema.types[schema.method("voucher", "get")["output"]]
    stored = schema.decode(option["params"][0]["type"], value)
    assert stored["holder"] == tier3 and header["height"] >= view["block_height"]
    # ... and a proof checked against another trust root fails.
    with pytest.raises(Exception, match="signature|validator set"):
        client.proven(storage_key, [bytes(32)])

    # A transfer the chain refuses fails with its reason, and a remark is a plain transaction.
    with pytest.raises(CallFailed, match="holds|holder|not"):
        client.call(key("tier2-parts"), "voucher", "transfer", {"voucher": moved, "to": tier3, "amount": None})
    assert client.send(key("tier2-parts"), remark("client test"))["receipt"]["success"]


def test_a_parachains_reads_are_signed_by_a_members_key(client):
    para = os.environ["CATENA_PARACHAIN"]
    with pytest.raises(ApiError) as unsigned:
        Client(API, chain=para).get("/status")
    assert unsigned.value.status == 401 and unsigned.value.code == "unsigned"
    member = Client(API, chain=para, reader=key("tier1-steel"))
    assert member.get("/status")["chain_id"] == para
    assert member.get("/members")
    outsider = Client(API, chain=para, reader=Key(bytes(range(32))))
    with pytest.raises(ApiError) as refused:
        outsider.get("/status")
    assert refused.value.status == 403


def test_the_schema_refuses_what_does_not_fit():
    schema = Schema(
        {
            "contracts": [],
            "types": {
                "types": [
                    {"id": 0, "type": {"def": {"primitive": "u8"}}},
                    {"id": 1, "type": {"def": {"array": {"len": 2, "type": 0}}}},
                    {"id": 2, "type": {"def": {"primitive": "u32"}}},
                ]
            },
        }
    )
    assert schema.decode(1, "0x0102") == "0x0102"
    assert schema.encode(2, 7) == b"\x07\x00\x00\x00"
    for bad in (lambda: schema.decode(1, "0x01"), lambda: schema.encode(1, "0x010203"), lambda: schema.encode(2, 2**32)):
        with pytest.raises(ScaleError):
            bad()
