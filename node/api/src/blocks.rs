//! Routes: blocks by height or hash, and pages of blocks and of a block's transactions.

use super::*;

/// A block named by height or by hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockId {
    Height(u64),
    Hash(Hash),
    Latest,
}

impl std::str::FromStr for BlockId {
    type Err = ApiError;
    fn from_str(text: &str) -> Result<Self, ApiError> {
        if text == "latest" {
            return Ok(BlockId::Latest);
        }
        if let Ok(height) = text.parse::<u64>() {
            return Ok(BlockId::Height(height));
        }
        text.parse::<Hash>().map(BlockId::Hash).map_err(|e| {
            ApiError::bad_request(
                "invalid_block_id",
                format!("'{text}' is neither a block height, 'latest', nor a block hash: {e}"),
            )
        })
    }
}

/// A block by height, by hash, or `latest`.
#[utoipa::path(get, path = "/blocks/{id}", tag = "chain",
    params(("id" = String, Path, description = "a height, a block hash (0x + 64 hex digits), or `latest`")),
    responses((status = 200, body = BlockView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_block(State(chain): Chain, id: PathSegment) -> ApiResult<BlockView> {
    let id = segment(id)?;
    let block_id: BlockId = id.parse()?;
    blocking_found(move || chain.block(block_id), format!("no block {id}")).await
}

/// The largest page of blocks or transactions.
pub const MAX_PAGE: u32 = 100;

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct BlockPage {
    /// Blocks below this height (default: from the tip down).
    before: Option<u64>,
    /// At most this many (1 to 100, default 20).
    limit: Option<u32>,
}

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct TxPage {
    /// Skip this many of the block's transactions.
    offset: Option<u32>,
    /// At most this many (1 to 100, default 20).
    limit: Option<u32>,
}

pub(crate) fn page_limit(limit: Option<u32>) -> Result<u64, ApiError> {
    match limit.unwrap_or(20) {
        n @ 1..=MAX_PAGE => Ok(u64::from(n)),
        _ => Err(ApiError::bad_request(
            "invalid_query",
            format!("limit: 1 to {MAX_PAGE}"),
        )),
    }
}

/// Recent blocks, newest first, a page at a time (`before` = the lowest height of the last page).
#[utoipa::path(get, path = "/blocks", tag = "chain",
    params(BlockPage),
    responses((status = 200, body = Vec<BlockView>), (status = 400, body = ErrorBody)))]
pub(crate) async fn list_blocks(
    State(chain): Chain,
    query: Result<Query<BlockPage>, QueryRejection>,
) -> ApiResult<Vec<BlockView>> {
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let limit = page_limit(query.limit)?;
    blocking(move || {
        let tip = chain.status()?.height;
        let top = query
            .before
            .map_or(Some(tip), |b| b.checked_sub(1))
            .map(|t| t.min(tip));
        let mut blocks = Vec::new();
        if let Some(top) = top {
            for height in (top.saturating_sub(limit - 1)..=top).rev() {
                if let Some(block) = chain.block(BlockId::Height(height))? {
                    blocks.push(block);
                }
            }
        }
        Ok(Json(blocks))
    })
    .await
}

/// A block's transactions with their receipts, in block order, a page at a time.
#[utoipa::path(get, path = "/blocks/{id}/transactions", tag = "chain",
    params(("id" = String, Path, description = "a height, a block hash, or `latest`"), TxPage),
    responses((status = 200, body = Vec<TransactionView>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn list_block_transactions(
    State(chain): Chain,
    Extension(reader): Extension<Reader>,
    id: PathSegment,
    query: Result<Query<TxPage>, QueryRejection>,
) -> ApiResult<Vec<TransactionView>> {
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let limit = page_limit(query.limit)? as usize;
    let id = segment(id)?;
    let block_id: BlockId = id.parse()?;
    blocking(move || {
        let txs = chain
            .block_transactions(block_id, query.offset.unwrap_or(0) as usize, limit)?
            .ok_or_else(|| ApiError::not_found(format!("no block {id}")))?;
        let mut out = Vec::new();
        for tx in txs {
            if reader.sees_transaction(chain.as_ref(), &tx)? {
                out.push(tx);
            }
        }
        Ok(Json(out))
    })
    .await
}
