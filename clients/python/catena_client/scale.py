"""SCALE, the encoding of Catena's transactions and system contracts, driven by the node's schema.

`Schema` reads `GET /schema`: every system contract's methods and events with the ids of their
types in a `scale-info` portable registry. With it any method's argument is encoded and any
output or event decoded, with the same JSON conventions the node uses (ADR 0043): named fields
as dicts, byte arrays and ids as ``0x`` hex, ``Option`` as the value or ``None``, enum variants
as their name or ``{name: fields}``, a single unnamed field as its value.
"""

from .evidence import Reader, compact_bytes

MAX_DEPTH = 32


class ScaleError(ValueError):
    """Bytes that are not a value of the type, or a value that does not fit it."""


def compact(n):
    """The SCALE compact encoding of a non-negative integer."""
    if n < 0:
        raise ScaleError("a compact integer is not negative")
    return compact_bytes(n)


def string(text):
    raw = text.encode("utf-8")
    return compact(len(raw)) + raw


def byte_string(raw):
    return compact(len(raw)) + bytes(raw)


def hex_bytes(text, what="a value"):
    if not isinstance(text, str):
        raise ScaleError(f"{what} is hex text, not {type(text).__name__}")
    digits = text[2:] if text.startswith("0x") else text
    try:
        return bytes.fromhex(digits)
    except ValueError as e:
        raise ScaleError(f"{what} is not hex: {e}") from e


WIDTHS = {"u8": 1, "u16": 2, "u32": 4, "u64": 8, "u128": 16, "i8": 1, "i16": 2, "i32": 4, "i64": 8, "i128": 16}


class Schema:
    """The node's schema (the JSON of ``GET /schema``)."""

    def __init__(self, document):
        self.types = {t["id"]: t["type"] for t in document["types"]["types"]}
        self.contracts = {c["name"]: c for c in document["contracts"]}

    # -- lookups ---------------------------------------------------------------------------

    def contract_id(self, name):
        return self.contracts[name]["id"]

    def contract_name(self, contract_id):
        for name, c in self.contracts.items():
            if c["id"] == contract_id:
                return name
        return None

    def method(self, contract, method):
        for m in self.contracts[contract]["methods"]:
            if m["name"] == method:
                return m
        raise KeyError(f"the {contract} contract has no method '{method}'")

    def event(self, contract, topic):
        for e in self.contracts[contract]["events"]:
            if e["topic"] == topic:
                return e
        raise KeyError(f"the {contract} contract has no event '{topic}'")

    # -- the codec -------------------------------------------------------------------------

    def _is_byte(self, type_id):
        return self.types[type_id]["def"].get("primitive") == "u8"

    def _is_option(self, ty):
        return ty.get("path") == ["Option"]

    def encode(self, type_id, value, depth=0):
        """The SCALE bytes of `value` as type `type_id`."""
        if depth > MAX_DEPTH:
            raise ScaleError("the value is nested too deeply")
        ty = self.types[type_id]
        d = ty["def"]
        if "primitive" in d:
            return self._encode_primitive(d["primitive"], value)
        if "compact" in d:
            return compact(int(value))
        if "sequence" in d:
            inner = d["sequence"]["type"]
            if self._is_byte(inner):
                return byte_string(hex_bytes(value))
            return compact(len(value)) + b"".join(self.encode(inner, v, depth + 1) for v in value)
        if "array" in d:
            inner, length = d["array"]["type"], d["array"]["len"]
            if self._is_byte(inner):
                raw = hex_bytes(value)
                if len(raw) != length:
                    raise ScaleError(f"expected {length} bytes, found {len(raw)}")
                return raw
            if len(value) != length:
                raise ScaleError(f"expected {length} items, found {len(value)}")
            return b"".join(self.encode(inner, v, depth + 1) for v in value)
        if "tuple" in d:
            items = d["tuple"]
            if len(items) == 1:
                return self.encode(items[0], value, depth + 1)
            values = list(value) if value is not None else []
            if len(values) != len(items):
                raise ScaleError(f"expected a tuple of {len(items)}, found {len(values)}")
            return b"".join(self.encode(t, v, depth + 1) for t, v in zip(items, values))
        if "composite" in d:
            return self._encode_fields(d["composite"].get("fields", []), value, depth)
        if "variant" in d:
            variants = d["variant"].get("variants", [])
            if self._is_option(ty):
                if value is None:
                    return b"\x00"
                some = next(v for v in variants if v["name"] == "Some")
                return b"\x01" + self.encode(some["fields"][0]["type"], value, depth + 1)
            if isinstance(value, str):
                name, inner = value, None
            elif isinstance(value, dict) and len(value) == 1:
                name, inner = next(iter(value.items()))
            else:
                raise ScaleError(f"a variant is its name or {{name: fields}}, not {value!r}")
            for v in variants:
                if v["name"] == name:
                    return bytes([v["index"]]) + self._encode_fields(v.get("fields", []), inner, depth)
            raise ScaleError(f"no variant '{name}' (of {[v['name'] for v in variants]})")
        raise ScaleError(f"type {type_id} is of a kind this client does not encode")

    def _encode_fields(self, fields, value, depth):
        if not fields:
            return b""
        if fields[0].get("name") is not None:
            if not isinstance(value, dict):
                raise ScaleError(f"expected fields {[f['name'] for f in fields]}, found {value!r}")
            missing = [f["name"] for f in fields if f["name"] not in value]
            if missing:
                raise ScaleError(f"missing fields {missing}")
            return b"".join(self.encode(f["type"], value[f["name"]], depth + 1) for f in fields)
        if len(fields) == 1:
            return self.encode(fields[0]["type"], value, depth + 1)
        return b"".join(self.encode(f["type"], v, depth + 1) for f, v in zip(fields, value))

    def _encode_primitive(self, kind, value):
        if kind == "bool":
            if not isinstance(value, bool):
                raise ScaleError(f"expected a bool, found {value!r}")
            return b"\x01" if value else b"\x00"
        if kind == "str":
            if not isinstance(value, str):
                raise ScaleError(f"expected text, found {value!r}")
            return string(value)
        if kind in WIDTHS:
            n = int(value)
            width = WIDTHS[kind]
            signed = kind.startswith("i")
            try:
                return n.to_bytes(width, "little", signed=signed)
            except OverflowError as e:
                raise ScaleError(f"{n} does not fit a {kind}") from e
        raise ScaleError(f"the primitive {kind} is not supported")

    def decode(self, type_id, data):
        """The value of type `type_id` that `data` (bytes or hex) encodes, all of it."""
        raw = hex_bytes(data) if isinstance(data, str) else bytes(data)
        r = Reader(raw)
        try:
            value = self._decode(type_id, r, 0)
            r.done()
        except ScaleError:
            raise
        except ValueError as e:  # the reader's: bytes that end early, too many, not UTF-8
            raise ScaleError(str(e)) from e
        return value

    def _decode(self, type_id, r, depth):
        if depth > MAX_DEPTH:
            raise ScaleError("the value is nested too deeply")
        ty = self.types[type_id]
        d = ty["def"]
        if "primitive" in d:
            kind = d["primitive"]
            if kind == "bool":
                b = r.u8()
                if b > 1:
                    raise ScaleError("a bool is 0 or 1")
                return b == 1
            if kind == "str":
                return r.string()
            if kind in WIDTHS:
                return int.from_bytes(r.take(WIDTHS[kind]), "little", signed=kind.startswith("i"))
            raise ScaleError(f"the primitive {kind} is not supported")
        if "compact" in d:
            return r.compact()
        if "sequence" in d:
            inner = d["sequence"]["type"]
            if self._is_byte(inner):
                return "0x" + r.bytes_().hex()
            return [self._decode(inner, r, depth + 1) for _ in range(r.compact())]
        if "array" in d:
            inner, length = d["array"]["type"], d["array"]["len"]
            if self._is_byte(inner):
                return "0x" + r.take(length).hex()
            return [self._decode(inner, r, depth + 1) for _ in range(length)]
        if "tuple" in d:
            items = [self._decode(t, r, depth + 1) for t in d["tuple"]]
            return items[0] if len(items) == 1 else items
        if "composite" in d:
            return self._decode_fields(d["composite"].get("fields", []), r, depth)
        if "variant" in d:
            index = r.u8()
            for v in d["variant"].get("variants", []):
                if v["index"] == index:
                    fields = v.get("fields", [])
                    if self._is_option(ty):
                        return None if not fields else self._decode(fields[0]["type"], r, depth + 1)
                    if not fields:
                        return v["name"]
                    return {v["name"]: self._decode_fields(fields, r, depth)}
            raise ScaleError(f"no variant has index {index}")
        raise ScaleError(f"type {type_id} is of a kind this client does not decode")

    def _decode_fields(self, fields, r, depth):
        if not fields:
            return []
        if fields[0].get("name") is not None:
            return {f["name"]: self._decode(f["type"], r, depth + 1) for f in fields}
        values = [self._decode(f["type"], r, depth + 1) for f in fields]
        return values[0] if len(values) == 1 else values

    # -- methods and events ----------------------------------------------------------------

    def encode_argument(self, contract, method, argument):
        return self.encode(self.method(contract, method)["argument"], argument)

    def decode_output(self, contract, method, data):
        return self.decode(self.method(contract, method)["output"], data)

    def decode_event(self, contract, topic, data):
        return self.decode(self.event(contract, topic)["data"], data)
