// The TypeScript client against a running node (tests/clients.rs starts it and tells the story):
// the schema's codec agrees with the node byte for byte, a voucher transfer is built, signed,
// sent and waited for, its new state is proved from the genesis validators, and a parachain's
// reads are signed. Environment as for the Python client's tests (clients/python/tests).

import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";

import { ApiError, CallFailed, Client, genesisValidators, Key, remark } from "../src/client.js";
import { ProofError } from "../src/proofs.js";
import { concat, fromHex, littleEndian, ScaleError, Schema, toHex, type Json } from "../src/scale.js";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: tests/clients.rs sets it`);
  return value;
};
const key = (name: string): Key => Key.fromFile(join(env("CATENA_KEYS"), `${name}.json`));

async function usccOf(client: Client, name: string): Promise<string> {
  const account = key(name).accountHex;
  const members = (await client.get("/members")) as { uscc: string; accounts: string[] }[];
  const member = members.find((m) => m.accounts.includes(account));
  assert.ok(member, `${name} is no member`);
  return member.uscc;
}

test("the codec reads every event as the node does and writes the same bytes", async () => {
  const client = new Client(env("CATENA_API"));
  const schema = await client.schema();
  const page = await client.get("/events?limit=1000");
  assert.ok(page.events.length >= 8);
  for (const event of page.events) {
    const name = schema.contractName(event.contract);
    assert.ok(name, JSON.stringify(event));
    const decoded = schema.decodeEvent(name, event.topic, event.data);
    assert.deepEqual(decoded, event.decoded);
    assert.equal(toHex(schema.encode(schema.event(name, event.topic).data, decoded)), event.data);
  }
  assert.throws(() => schema.decodeEvent("voucher", "transferred", page.events[0].data + "00"), ScaleError);
  assert.throws(() => schema.encodeArgument("voucher", "transfer", { voucher: 1, to: "X" }), ScaleError);
});

test("a voucher transfer is signed, sent, committed and proved", async () => {
  const client = new Client(env("CATENA_API"));
  const voucher = Number(env("CATENA_VOUCHER"));
  const tier3 = await usccOf(client, "tier3-materials");
  const before = (await client.voucher(voucher)) as { [k: string]: Json };
  assert.equal(before.holder, await usccOf(client, "tier2-parts"));

  const view = await client.call(key("tier2-parts"), "voucher", "transfer", { voucher, to: tier3, amount: null });
  assert.equal(view.status, "committed");
  const moved = Number(view.output);
  assert.equal(((await client.voucher(moved)) as { holder: string }).holder, tier3);

  const height = Number(view.block_height);
  const schema = await client.schema();
  const events = await client.events({ contract: schema.contractId("voucher"), from_height: height, to_height: height });
  assert.ok(events.events.some((e) => e.topic === "transferred" && (e.decoded as { id: number }).id === moved));

  // The voucher's state entry, proved from the genesis validators of the main chain's spec.
  const storageKey = concat(
    new TextEncoder().encode("contract/"),
    fromHex(schema.contractId("voucher")),
    new TextEncoder().encode("/v/"),
    littleEndian(BigInt(moved), 8).reverse(),
  );
  const { value, header } = await client.proven(storageKey, genesisValidators(env("CATENA_SPEC")));
  assert.ok(value);
  const stored = schema.decode(schema.optionOf(schema.method("voucher", "get").output), value) as { holder: string };
  assert.equal(stored.holder, tier3);
  assert.ok(header.height >= BigInt(height));
  await assert.rejects(client.proven(storageKey, [new Uint8Array(32)]), ProofError);

  // A transfer the chain refuses fails with its reason; a remark is a plain transaction.
  await assert.rejects(
    client.call(key("tier2-parts"), "voucher", "transfer", { voucher: moved, to: tier3, amount: null }),
    CallFailed,
  );
  const noted = await client.send(key("tier2-parts"), remark("TypeScript client test"));
  assert.equal((noted.receipt as { success: boolean }).success, true);
});

test("a parachain's reads are signed by a member's key", async () => {
  const api = env("CATENA_API");
  const chain = env("CATENA_PARACHAIN");
  await assert.rejects(new Client(api, { chain }).get("/status"), (e: unknown) => e instanceof ApiError && e.status === 401 && e.code === "unsigned");
  const member = new Client(api, { chain, reader: key("tier1-steel") });
  assert.equal((await member.get("/status")).chain_id, chain);
  const outsider = new Client(api, { chain, reader: new Key(new Uint8Array(32).fill(7)) });
  await assert.rejects(outsider.get("/status"), (e: unknown) => e instanceof ApiError && e.status === 403);
});

test("the schema refuses what does not fit", () => {
  const schema = new Schema({
    contracts: [],
    types: {
      types: [
        { id: 0, type: { def: { primitive: "u8" } } },
        { id: 1, type: { def: { array: { len: 2, type: 0 } } } },
        { id: 2, type: { def: { primitive: "u32" } } },
        { id: 3, type: { def: { primitive: "u64" } } },
      ],
    },
  });
  assert.equal(schema.decode(1, "0x0102"), "0x0102");
  assert.deepEqual(schema.encode(2, 7), Uint8Array.of(7, 0, 0, 0));
  assert.equal(schema.decode(3, "0xffffffffffffffff"), "18446744073709551615");
  assert.throws(() => schema.decode(1, "0x01"), ScaleError);
  assert.throws(() => schema.encode(1, "0x010203"), ScaleError);
  assert.throws(() => schema.encode(2, 2 ** 32), ScaleError);
});
