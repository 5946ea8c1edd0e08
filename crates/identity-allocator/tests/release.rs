//! What a trim gives back, read from the kernel's own count of this process's resident memory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

/// This process's resident set (`VmRSS`), in KiB.
fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn freed_memory_below_a_live_block_goes_back_to_the_system() {
    // 64 MiB in 64 KiB blocks (below glibc's mmap threshold: they come from the heap), written
    // so they are resident, then all freed but the last, which keeps the heap's top in use: glibc
    // gives none of it back by itself.
    let mut blocks: Vec<Vec<u8>> = (0..1024).map(|i| vec![u8::try_from(i % 251).unwrap_or(1); 64 * 1024]).collect();
    let last = blocks.pop().unwrap();
    drop(blocks);
    let before = resident_kib();
    assert!(identity_allocator::release_free_memory(), "glibc released something");
    let after = resident_kib();
    assert!(
        before.saturating_sub(after) > 32 * 1024,
        "at least half of the 64 MiB freed went back: {before} KiB -> {after} KiB"
    );
    assert_eq!(last.len(), 64 * 1024);
}
