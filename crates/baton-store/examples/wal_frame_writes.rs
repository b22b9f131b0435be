//! What writing a commit's WAL frames costs, two system calls a frame (as SQLite's unix VFS
//! writes them) against one call for many frames (as `baton_store`'s WAL buffer gives them to
//! the kernel), each commit followed by its `fsync`. No SQLite here: the same bytes at the same
//! offsets, so that only the number of calls differs.
//!
//! ```sh
//! cargo run --release -p baton-store --example wal_frame_writes -- [DIR] [FRAMES] [COMMITS]
//! ```
//!
//! `DIR` (default: the current directory) should be on the disk the database lives on;
//! `FRAMES` per commit defaults to 55 (an intake transaction of ~12 deliveries), `COMMITS` to
//! 300. The file cycles through 64 MiB, as a WAL restarted at a fixed size does. Prints the
//! median time a commit spends writing and syncing, each way, in turn five times.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A WAL frame header, then a 4 KiB page.
const HEADER: usize = 24;
const PAGE: usize = 4096;
const FRAME: usize = HEADER + PAGE;
/// The most the unix VFS writes in one call (`seekAndWriteFd`).
const MAX_WRITE: usize = 0x1ffff;
const CYCLE: u64 = 64 << 20;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| ".".into()));
    let frames: usize = args
        .next()
        .map_or(55, |a| a.parse().expect("FRAMES is a number"));
    let commits: usize = args
        .next()
        .map_or(300, |a| a.parse().expect("COMMITS is a number"));
    let path = dir.join("wal_frame_writes.tmp");
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)?;
    println!(
        "{frames} frames a commit, {commits} commits a measurement, in {}",
        dir.display()
    );
    for round in 1..=5 {
        for gathered in [false, true] {
            let (write, sync) = measure(&file, frames, commits, gathered)?;
            println!(
                "round {round}: {:<32} write {:>7.1} µs, fsync {:>7.1} µs, together {:>7.1} µs a commit",
                if gathered {
                    "one call for up to 31 frames"
                } else {
                    "two calls a frame"
                },
                micros(write),
                micros(sync),
                micros(write + sync),
            );
        }
    }
    drop(file);
    std::fs::remove_file(path)
}

/// Median time a commit spends writing, and syncing.
fn measure(
    file: &File,
    frames: usize,
    commits: usize,
    gathered: bool,
) -> std::io::Result<(Duration, Duration)> {
    let header = [1u8; HEADER];
    let page = [2u8; PAGE];
    let mut buffer = Vec::with_capacity(MAX_WRITE);
    let (mut writes, mut syncs) = (Vec::new(), Vec::new());
    let mut offset = 0u64;
    for _ in 0..commits {
        let started = Instant::now();
        if gathered {
            let mut start = offset;
            for _ in 0..frames {
                if buffer.len() + FRAME > MAX_WRITE {
                    file.write_all_at(&buffer, start)?;
                    start += buffer.len() as u64;
                    buffer.clear();
                }
                buffer.extend_from_slice(&header);
                buffer.extend_from_slice(&page);
            }
            file.write_all_at(&buffer, start)?;
            buffer.clear();
        } else {
            for f in 0..frames as u64 {
                file.write_all_at(&header, offset + f * FRAME as u64)?;
                file.write_all_at(&page, offset + f * FRAME as u64 + HEADER as u64)?;
            }
        }
        let written = Instant::now();
        file.sync_all()?;
        writes.push(written - started);
        syncs.push(written.elapsed());
        offset += (frames * FRAME) as u64;
        if offset > CYCLE {
            offset = 0;
        }
    }
    Ok((median(writes), median(syncs)))
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
