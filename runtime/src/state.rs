//! State as execution sees it: the committed state behind a reader, the block's and the transaction's overlays above it, and listing across the layers.

use super::*;

/// Read access to committed state.
pub trait StateReader {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError>;
    /// The first entry whose key starts with `prefix` and sorts after `after` (from the start
    /// of the prefix if `None`), in byte order.
    fn next(&self, prefix: &[u8], after: Option<&[u8]>) -> Result<Option<Entry>, StateError>;
}

/// A key and its value.
pub type Entry = (Vec<u8>, Vec<u8>);

thread_local! {
    /// Steps taken by [`next_in_layers`] on this thread since the last [`take_layer_steps`]: a
    /// contract pays for each (removed entries it walks over included), so a listing cannot be
    /// made arbitrarily expensive for the same fuel. Deterministic: every node walks the same
    /// layers.
    static LAYER_STEPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The steps [`next_in_layers`] took since the last call, and a reset.
pub fn take_layer_steps() -> u64 {
    LAYER_STEPS.with(|steps| steps.replace(0))
}

/// [`StateReader::next`] through layers of pending changes (topmost first) over a base: a `None`
/// in a layer hides the key below it.
pub fn next_in_layers<E>(
    layers: &[&Changes],
    prefix: &[u8],
    after: Option<&[u8]>,
    base: impl Fn(&[u8], Option<&[u8]>) -> Result<Option<Entry>, E>,
) -> Result<Option<Entry>, E> {
    use std::ops::Bound;
    // An `after` before the prefix means the whole prefix.
    let mut cursor: Option<Vec<u8>> = after.filter(|a| *a >= prefix).map(<[u8]>::to_vec);
    loop {
        LAYER_STEPS.with(|steps| steps.set(steps.get() + 1));
        let lower = match &cursor {
            Some(key) => Bound::Excluded(key.clone()),
            None => Bound::Included(prefix.to_vec()),
        };
        let mut best: Option<Vec<u8>> = None;
        for layer in layers {
            if let Some((key, _)) = layer
                .range((lower.clone(), Bound::Unbounded))
                .next()
                .filter(|(k, _)| k.starts_with(prefix))
            {
                if best.as_ref().is_none_or(|b| key < b) {
                    best = Some(key.clone());
                }
            }
        }
        let below = base(prefix, cursor.as_deref())?;
        if let Some((key, _)) = &below {
            if best.as_ref().is_none_or(|b| key < b) {
                best = Some(key.clone());
            }
        }
        let Some(key) = best else { return Ok(None) };
        match layers.iter().find_map(|layer| layer.get(&key)) {
            Some(Some(value)) => return Ok(Some((key, value.clone()))),
            Some(None) => cursor = Some(key),
            None => return Ok(below),
        }
    }
}

/// The committed state a block executes on, with every key read once kept for the rest of the
/// block: the configuration and member records that each transaction reads again come from
/// memory. Honest because a block's base state does not change while it executes (its own
/// writes are in the overlays above, which are read first); listings go to the base.
pub(crate) struct BlockReads<'a> {
    base: &'a dyn StateReader,
    read: std::cell::RefCell<BTreeMap<Vec<u8>, Option<Vec<u8>>>>,
}

impl<'a> BlockReads<'a> {
    pub(crate) fn new(base: &'a dyn StateReader) -> BlockReads<'a> {
        BlockReads {
            base,
            read: Default::default(),
        }
    }
}

impl StateReader for BlockReads<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        if let Some(value) = self.read.borrow().get(key) {
            return Ok(value.clone());
        }
        let value = self.base.get(key)?;
        self.read.borrow_mut().insert(key.to_vec(), value.clone());
        Ok(value)
    }

    fn next(&self, prefix: &[u8], after: Option<&[u8]>) -> Result<Option<Entry>, StateError> {
        self.base.next(prefix, after)
    }
}

/// State could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("state read failed: {0}")]
pub struct StateError(pub String);

/// Changed entries: `None` removes the key.
pub type Changes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// Reads through a stack of pending writes to the committed state.
pub(crate) struct Overlay<'a> {
    pub(crate) base: &'a dyn StateReader,
    pub(crate) block: &'a Changes,
    pub(crate) tx: Changes,
}

impl Overlay<'_> {
    pub(crate) fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        if let Some(value) = self.tx.get(key) {
            return Ok(value.clone());
        }
        if let Some(value) = self.block.get(key) {
            return Ok(value.clone());
        }
        self.base.get(key)
    }

    pub(crate) fn next(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
    ) -> Result<Option<Entry>, StateError> {
        next_in_layers(&[&self.tx, self.block], prefix, after, |p, a| {
            self.base.next(p, a)
        })
    }

    pub(crate) fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.tx.insert(key, Some(value));
    }
}

impl StateReader for Overlay<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        Overlay::get(self, key)
    }
    fn next(&self, prefix: &[u8], after: Option<&[u8]>) -> Result<Option<Entry>, StateError> {
        Overlay::next(self, prefix, after)
    }
}

pub(crate) fn decode_entry<T: Decode>(
    key: &[u8],
    value: Option<Vec<u8>>,
) -> Result<Option<T>, ExecutionError> {
    value
        .map(|bytes| {
            T::decode_all(&mut &bytes[..]).map_err(|e| ExecutionError::Corrupt {
                key: keys::describe(key),
                reason: e.to_string(),
            })
        })
        .transpose()
}

/// The entries under `prefix` of `state` after key `after` (from the first without), decoded, in
/// key order: at most `limit`, and the first one beyond them if there is one.
pub(crate) fn scan<T: Decode>(
    state: &dyn StateReader,
    prefix: &[u8],
    mut after: Option<Vec<u8>>,
    limit: usize,
) -> Result<(Vec<T>, Option<T>), ExecutionError> {
    let mut out = Vec::new();
    while let Some((key, bytes)) = state.next(prefix, after.as_deref())? {
        let entry = decode_entry::<T>(&key, Some(bytes))?.expect("present");
        if out.len() == limit {
            return Ok((out, Some(entry)));
        }
        out.push(entry);
        after = Some(key);
    }
    Ok((out, None))
}

/// The entry under `key` of `state`, decoded.
pub(crate) fn read_entry<T: Decode>(
    state: &dyn StateReader,
    key: &[u8],
) -> Result<Option<T>, ExecutionError> {
    decode_entry(key, state.get(key)?)
}

/// The state before genesis: nothing.
pub(crate) struct NoState;

impl StateReader for NoState {
    fn get(&self, _: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        Ok(None)
    }
    fn next(&self, _: &[u8], _: Option<&[u8]>) -> Result<Option<Entry>, StateError> {
        Ok(None)
    }
}
