//! The Proxy-Wasm table: serialized maps, statuses, and a few functions over a test request.

use super::*;

#[test]
fn pairs_round_trip() {
    let pairs: Vec<(&[u8], &[u8])> = vec![(b":status", b"200"), (b"x-a", b""), (b"b", b"2")];
    let bytes = serialize_pairs(&pairs);
    assert_eq!(parse_pairs(&bytes), Some(pairs));
    assert_eq!(parse_pairs(&[]), Some(vec![]));
}

#[test]
fn bad_maps_are_refused() {
    let good = serialize_pairs(&[(b"a", b"b")]);
    for cut in 1..good.len() {
        assert_eq!(parse_pairs(&good[..cut]), None, "cut at {cut}");
    }
    let mut no_nul = good.clone();
    let last = no_nul.len() - 1;
    no_nul[last] = b'x';
    assert_eq!(parse_pairs(&no_nul), None);
    let mut huge = good;
    huge[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(parse_pairs(&huge), None);
}

#[test]
fn every_function_answers_a_status() {
    for f in PROXY_WASM.functions {
        assert_eq!(f.results, [crate::value::ValType::I32], "{}", f.qualified);
        assert!(f.name.starts_with("proxy_"), "{}", f.qualified);
    }
    assert!(PROXY_WASM
        .lookup("proxy_get_header_map_value")
        .is_some_and(|f| f.gives()));
    assert!(PROXY_WASM
        .lookup("proxy_log")
        .is_some_and(|f| f.is_i32_shaped()));
}
