//! Host functions: hashing, signature checks and invoice fingerprints: `sha256`,
//! `ed25519_verify`, `invoice_fingerprint`.

use super::*;

pub(super) fn link(linker: &mut Linker<HostState>) -> Result<(), wasmtime::Error> {
    linker.func_wrap(
        ABI_MODULE,
        function::SHA256,
        |mut caller: Caller<'_, HostState>,
         ptr: i32,
         len: i32,
         out_ptr: i32|
         -> Result<(), wasmtime::Error> {
            let data = read_bytes(&mut caller, ptr, len, MAX_VALUE_BYTES, "hashed data")?;
            charge_fuel(
                &mut caller,
                FUEL_PER_HASH + data.len() as u64 * FUEL_PER_HASHED_BYTE,
            )?;
            let digest = Hash::digest(&data);
            write_bytes(&mut caller, out_ptr, &digest.0, "the digest")
        },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        function::ED25519_VERIFY,
        |mut caller: Caller<'_, HostState>,
         key_ptr: i32,
         msg_ptr: i32,
         msg_len: i32,
         sig_ptr: i32|
         -> Result<i32, wasmtime::Error> {
            // A signature check costs like hashing a few kilobytes.
            charge(&mut caller, 0, 0)?;
            charge(&mut caller, ED25519_VERIFY_BYTES, FUEL_PER_BYTE)?;
            let key = read_bytes(&mut caller, key_ptr, 32, 32, "a public key")?;
            let message = read_bytes(&mut caller, msg_ptr, msg_len, MAX_VALUE_BYTES, "a message")?;
            let signature = read_bytes(&mut caller, sig_ptr, 64, 64, "a signature")?;
            let key = AccountId(key.try_into().expect("32 bytes read"));
            let signature =
                catena_primitives::Signature(signature.try_into().expect("64 bytes read"));
            Ok(if key.verify(&message, &signature) {
                code::VALID
            } else {
                code::INVALID
            })
        },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        function::INVOICE_FINGERPRINT,
        |mut caller: Caller<'_, HostState>,
         ptr: i32,
         len: i32,
         out_ptr: i32|
         -> Result<i32, wasmtime::Error> {
            let input = read_bytes(
                &mut caller,
                ptr,
                len,
                catena_abi::MAX_FINGERPRINT_INPUT_BYTES,
                "an invoice",
            )?;
            let Ok((code, number, seller)) =
                <(String, String, String)>::decode_all(&mut &input[..])
            else {
                return refuse(
                    &mut caller,
                    "invoice_fingerprint takes the SCALE encoding of (code, number, seller)".into(),
                );
            };
            let Some(key) = caller.data().context.invoice_key.clone() else {
                return Ok(code::ABSENT);
            };
            let fingerprint = key.fingerprint(&code, &number, &seller);
            write_bytes(&mut caller, out_ptr, &fingerprint.0, "the fingerprint")?;
            Ok(code::WRITTEN)
        },
    )?;
    Ok(())
}
