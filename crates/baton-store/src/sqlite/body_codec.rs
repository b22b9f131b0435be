//! How an SQLite store keeps a delivery's raw body: lz4-compressed (the block format with its
//! length in front, `lz4_flex`) when that makes it smaller, otherwise as it came. The column
//! `deliveries.body_codec` says which (migration `0006_delivery_body_codec`).
//!
//! PostgreSQL compresses large values itself (TOAST, lz4 since its migration 0006); SQLite does
//! not, and webhook bodies (~10 KB of JSON for a GitHub delivery, 2.4 KB compressed) were most
//! of what intake wrote to the WAL, copied again by every checkpoint. Compressing on the
//! request's own task, before the batch thread, takes that work off the one thread SQLite lets
//! write (`docs/BENCHMARKS.md`, the HTTP load test).

use crate::intake::CheckedItem;
use crate::StoreError;

/// The body as it came.
pub(crate) const IDENTITY: &str = "identity";
/// lz4 block format, the uncompressed length first (4 bytes, little-endian).
pub(crate) const LZ4: &str = "lz4";

/// Bodies shorter than this are kept as they are: compressing them saves next to nothing.
const MIN_TO_COMPRESS: usize = 512;

/// The longest body a stored value may decode to. Intake refuses far smaller bodies (413), so a
/// larger length can only come from a damaged value, which must not make us allocate it.
const MAX_DECODED: usize = 64 << 20;

/// `body` lz4-compressed, when it is long enough to be worth it and compression makes it
/// smaller; `None`: store it as it came.
pub(crate) fn encode(body: &[u8]) -> Option<Vec<u8>> {
    if body.len() < MIN_TO_COMPRESS {
        return None;
    }
    let compressed = lz4_flex::compress_prepend_size(body);
    (compressed.len() < body.len()).then_some(compressed)
}

/// Compresses the bodies of `items` that compression makes smaller (see [`encode`]).
pub(crate) fn compress_bodies(items: &mut [CheckedItem]) {
    for item in items {
        item.stored_body = encode(&item.delivery.body);
    }
}

/// What to store for `item`'s body, and its codec.
pub(crate) fn stored(item: &CheckedItem) -> (&[u8], &'static str) {
    match &item.stored_body {
        Some(compressed) => (compressed, LZ4),
        None => (&item.delivery.body, IDENTITY),
    }
}

/// The body a stored value holds.
pub(crate) fn decode(codec: &str, stored: Vec<u8>) -> Result<Vec<u8>, StoreError> {
    match codec {
        IDENTITY => Ok(stored),
        LZ4 => {
            let damaged = |why: String| StoreError::Damaged(format!("a delivery body: {why}"));
            let (length, _) =
                lz4_flex::block::uncompressed_size(&stored).map_err(|e| damaged(e.to_string()))?;
            if length > MAX_DECODED {
                return Err(damaged(format!("it claims {length} bytes")));
            }
            lz4_flex::decompress_size_prepended(&stored).map_err(|e| damaged(e.to_string()))
        }
        other => Err(StoreError::Damaged(format!(
            "a delivery body has the unknown codec {other:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_webhook_body_is_kept_compressed_and_read_back_whole() {
        let body =
            include_bytes!("../../../baton-integrations/tests/fixtures/github/issues_opened.json");
        let stored = encode(body).expect("a 10 KB JSON body compresses");
        assert!(
            stored.len() * 3 < body.len(),
            "{} of {}",
            stored.len(),
            body.len()
        );
        assert_eq!(decode(LZ4, stored).unwrap(), body);
    }

    #[test]
    fn short_or_incompressible_bodies_are_kept_as_they_came() {
        assert_eq!(encode(b"{\"zen\":\"Keep it logically awesome.\"}"), None);
        // 4 KB that lz4 cannot shrink (a xorshift stream).
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        assert_eq!(encode(&noise), None);
        assert_eq!(decode(IDENTITY, noise.clone()).unwrap(), noise);
    }

    #[test]
    fn a_damaged_value_is_an_error_not_a_huge_allocation() {
        let mut claims_4_gib = u32::MAX.to_le_bytes().to_vec();
        claims_4_gib.extend_from_slice(b"\x10a");
        assert!(matches!(
            decode(LZ4, claims_4_gib),
            Err(StoreError::Damaged(_))
        ));
        assert!(matches!(decode(LZ4, vec![1]), Err(StoreError::Damaged(_))));
        assert!(matches!(
            decode("zstd", vec![]),
            Err(StoreError::Damaged(_))
        ));
    }

    proptest! {
        #[test]
        fn any_body_reads_back_as_it_was(body in proptest::collection::vec(any::<u8>(), 0..4096),
                                         repeat in 1usize..8) {
            let body = body.repeat(repeat);
            let (codec, stored) = match encode(&body) {
                Some(stored) => (LZ4, stored),
                None => (IDENTITY, body.clone()),
            };
            prop_assert_eq!(decode(codec, stored).unwrap(), body);
        }

        #[test]
        fn arbitrary_stored_bytes_never_panic(stored in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = decode(LZ4, stored);
        }
    }
}
