//! A VFS that hands the WAL frames of a commit to the kernel in one write instead of two per
//! frame.
//!
//! SQLite appends every WAL frame with two `pwrite` calls, its 24-byte header and then the
//! page (`walWriteOneFrame` in `sqlite3.c`), so an intake transaction of ~60 frames made ~120
//! system calls before its `fsync`. Writing 55 frames that way took ~280 µs on the machine of
//! `docs/BENCHMARKS.md`'s eighth round, and ~155 µs in calls of 31 frames
//! (`examples/wal_frame_writes.rs`); SQLite intake gained ~6%. This VFS is SQLite's default one
//! ("unix") with the WAL file's writes gathered in memory while they are contiguous, and given
//! to the file in one call before anything that needs them there: a sync, the end of a commit,
//! a read of those bytes, a truncation, a size query, a file control, closing. What reaches the
//! disk, and when it is synced, is unchanged.
//!
//! No crate wraps the default VFS this way (those that exist implement a whole file system in
//! Rust), hence the few `unsafe` functions below, which only forward to the default VFS.

use std::ffi::{c_int, c_void, CStr};
use std::path::Path;
use std::ptr;
use std::sync::OnceLock;

use rusqlite::{ffi, Connection, OpenFlags};
use sqlx::sqlite::SqliteConnectOptions;

/// The name connections open the VFS by.
const NAME: &CStr = c"baton-wal-buffer";

/// The most bytes gathered before they are written anyway: 31 frames of 4 KiB pages. The unix
/// VFS writes at most this much in one call (`seekAndWriteFd` masks the length with
/// `0x1ffff`); a longer write would come back short and be reported as a full disk.
const CAPACITY: usize = 0x1ffff;

/// A WAL frame's header: page number, then the database size in pages for the last frame of a
/// commit and zero for the others (<https://sqlite.org/fileformat2.html#walformat>).
const FRAME_HEADER: usize = 24;

/// The VFS's name, registering it at the first call; `None` when the default VFS is not
/// SQLite's "unix" one, which the forwarding below relies on (then connections use the
/// default VFS, as they would without this module).
pub(crate) fn name() -> Option<&'static str> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let registered = *REGISTERED.get_or_init(|| {
        // SAFETY: `register` only reads the default VFS and registers a copy of it.
        let registered = unsafe { register() };
        if !registered {
            tracing::debug!("the default SQLite VFS is not \"unix\"; WAL writes stay unbuffered");
        }
        registered
    });
    registered.then(|| NAME.to_str().expect("the VFS name is ASCII"))
}

/// Opens `path` on this VFS (or the default one where it is not registered) with
/// `cache_spill` off. That is what makes the buffer safe: without spilling, SQLite writes WAL
/// frames only to commit, and every commit ends with a frame this VFS recognises (or with a
/// failed write, which empties the buffer), so nothing is ever left buffered when the write
/// lock is released. A spilled transaction that rolled back could otherwise leave frames in the
/// buffer, to be written later over frames another connection committed meanwhile.
pub(crate) fn open(path: &Path, flags: OpenFlags) -> rusqlite::Result<Connection> {
    let conn = match name() {
        Some(vfs) => Connection::open_with_flags_and_vfs(path, flags, vfs)?,
        None => Connection::open_with_flags(path, flags)?,
    };
    conn.pragma_update(None, "cache_spill", false)?;
    Ok(conn)
}

/// `options` on this VFS with `cache_spill` off, as [`open`] opens a rusqlite connection.
pub(crate) fn sqlx_options(options: SqliteConnectOptions) -> SqliteConnectOptions {
    let options = options.pragma("cache_spill", "OFF");
    match name() {
        Some(vfs) => options.vfs(vfs),
        None => options,
    }
}

/// Registers a copy of the default VFS whose `xOpen` gives WAL files [`WAL_METHODS`]. The
/// unix VFS's other methods ignore the VFS they are called with, so the copy keeps them.
unsafe fn register() -> bool {
    let real = ffi::sqlite3_vfs_find(ptr::null());
    if real.is_null() || (*real).zName.is_null() || CStr::from_ptr((*real).zName) != c"unix" {
        return false;
    }
    let mut vfs = *real;
    vfs.zName = NAME.as_ptr();
    vfs.pNext = ptr::null_mut();
    vfs.pAppData = real.cast();
    vfs.szOsFile = INNER_OFFSET as c_int + (*real).szOsFile;
    vfs.xOpen = Some(open_file);
    ffi::sqlite3_vfs_register(Box::leak(Box::new(vfs)), 0) == ffi::SQLITE_OK
}

/// A WAL file: its methods, the bytes not yet written, and the default VFS's file, which
/// follows at [`INNER_OFFSET`] in the memory SQLite allocates (`szOsFile`).
#[repr(C)]
struct WalFile {
    base: ffi::sqlite3_file,
    pending: *mut Pending,
}

const INNER_OFFSET: usize = std::mem::size_of::<WalFile>().next_multiple_of(16);

/// Contiguous bytes written by SQLite and not yet by the file, from offset `start`.
struct Pending {
    start: i64,
    bytes: Vec<u8>,
    /// The last write was the header of a commit's last frame: once its page follows, the
    /// commit's frames are written (another connection may read them as soon as SQLite
    /// publishes the commit, synced or not).
    commit_page_next: bool,
}

impl Pending {
    fn end(&self) -> i64 {
        self.start + self.bytes.len() as i64
    }
}

unsafe fn inner(file: *mut ffi::sqlite3_file) -> *mut ffi::sqlite3_file {
    file.cast::<u8>().add(INNER_OFFSET).cast()
}

unsafe fn inner_methods(file: *mut ffi::sqlite3_file) -> &'static ffi::sqlite3_io_methods {
    &*(*inner(file)).pMethods
}

/// The pending bytes of a WAL file opened by [`open_file`].
unsafe fn pending<'f>(file: *mut ffi::sqlite3_file) -> &'f mut Pending {
    &mut *(*file.cast::<WalFile>()).pending
}

unsafe extern "C" fn open_file(
    vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let real = (*vfs).pAppData.cast::<ffi::sqlite3_vfs>();
    let Some(real_open) = (*real).xOpen else {
        return ffi::SQLITE_CANTOPEN;
    };
    if flags & ffi::SQLITE_OPEN_WAL == 0 {
        // Every other file is the default VFS's own, in the same memory.
        return real_open(real, name, file, flags, out_flags);
    }
    (*file).pMethods = ptr::null();
    let rc = real_open(real, name, inner(file), flags, out_flags);
    if rc != ffi::SQLITE_OK {
        return rc;
    }
    let wal = file.cast::<WalFile>();
    (*wal).pending = Box::into_raw(Box::new(Pending {
        start: 0,
        bytes: Vec::new(),
        commit_page_next: false,
    }));
    (*wal).base.pMethods = &WAL_METHODS;
    ffi::SQLITE_OK
}

/// Writes `pending` to the file; on failure the bytes are dropped (SQLite rolls the commit
/// back and writes those frames again) and the error is returned.
unsafe fn write_out(file: *mut ffi::sqlite3_file, pending: &mut Pending) -> c_int {
    pending.commit_page_next = false;
    if pending.bytes.is_empty() {
        return ffi::SQLITE_OK;
    }
    let Some(write) = inner_methods(file).xWrite else {
        return ffi::SQLITE_IOERR_WRITE;
    };
    let rc = write(
        inner(file),
        pending.bytes.as_ptr().cast(),
        pending.bytes.len() as c_int,
        pending.start,
    );
    pending.bytes.clear();
    rc
}

/// Writes what is pending, then runs `then` on the default VFS's file.
unsafe fn flushed(
    file: *mut ffi::sqlite3_file,
    then: impl FnOnce(*mut ffi::sqlite3_file) -> c_int,
) -> c_int {
    match write_out(file, pending(file)) {
        ffi::SQLITE_OK => then(inner(file)),
        rc => rc,
    }
}

unsafe extern "C" fn wal_close(file: *mut ffi::sqlite3_file) -> c_int {
    let written = write_out(file, pending(file));
    let closed = match inner_methods(file).xClose {
        Some(close) => close(inner(file)),
        None => ffi::SQLITE_OK,
    };
    let wal = file.cast::<WalFile>();
    drop(Box::from_raw((*wal).pending));
    (*wal).pending = ptr::null_mut();
    if written != ffi::SQLITE_OK {
        written
    } else {
        closed
    }
}

unsafe extern "C" fn wal_read(
    file: *mut ffi::sqlite3_file,
    buf: *mut c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    let Some(read) = inner_methods(file).xRead else {
        return ffi::SQLITE_IOERR_READ;
    };
    let pending = pending(file);
    let overlaps = !pending.bytes.is_empty()
        && offset < pending.end()
        && offset + i64::from(amount) > pending.start;
    if overlaps {
        let rc = write_out(file, pending);
        if rc != ffi::SQLITE_OK {
            return rc;
        }
    }
    read(inner(file), buf, amount, offset)
}

unsafe extern "C" fn wal_write(
    file: *mut ffi::sqlite3_file,
    buf: *const c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    let (Ok(len), Some(write)) = (usize::try_from(amount), inner_methods(file).xWrite) else {
        return ffi::SQLITE_IOERR_WRITE;
    };
    if len == 0 {
        return ffi::SQLITE_OK;
    }
    let data = std::slice::from_raw_parts(buf.cast::<u8>(), len);
    let pending = pending(file);
    let commit_ends = pending.commit_page_next;
    let appends = !pending.bytes.is_empty()
        && offset == pending.end()
        && pending.bytes.len() + len <= CAPACITY;
    if !appends {
        let rc = write_out(file, pending);
        if rc != ffi::SQLITE_OK {
            return rc;
        }
        if len >= CAPACITY {
            return write(inner(file), buf, amount, offset);
        }
        pending.start = offset;
    }
    pending.bytes.extend_from_slice(data);
    if commit_ends {
        return write_out(file, pending);
    }
    pending.commit_page_next = len == FRAME_HEADER && data[4..8] != [0; 4];
    ffi::SQLITE_OK
}

unsafe extern "C" fn wal_truncate(file: *mut ffi::sqlite3_file, size: i64) -> c_int {
    let Some(truncate) = inner_methods(file).xTruncate else {
        return ffi::SQLITE_IOERR_TRUNCATE;
    };
    flushed(file, |inner| truncate(inner, size))
}

unsafe extern "C" fn wal_sync(file: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    let Some(sync) = inner_methods(file).xSync else {
        return ffi::SQLITE_IOERR_FSYNC;
    };
    flushed(file, |inner| sync(inner, flags))
}

unsafe extern "C" fn wal_file_size(file: *mut ffi::sqlite3_file, size: *mut i64) -> c_int {
    let Some(file_size) = inner_methods(file).xFileSize else {
        return ffi::SQLITE_IOERR_FSTAT;
    };
    flushed(file, |inner| file_size(inner, size))
}

unsafe extern "C" fn wal_file_control(
    file: *mut ffi::sqlite3_file,
    op: c_int,
    arg: *mut c_void,
) -> c_int {
    let Some(file_control) = inner_methods(file).xFileControl else {
        return ffi::SQLITE_NOTFOUND;
    };
    flushed(file, |inner| file_control(inner, op, arg))
}

unsafe extern "C" fn wal_fetch(
    file: *mut ffi::sqlite3_file,
    offset: i64,
    amount: c_int,
    out: *mut *mut c_void,
) -> c_int {
    *out = ptr::null_mut();
    match inner_methods(file).xFetch {
        Some(fetch) => flushed(file, |inner| fetch(inner, offset, amount, out)),
        None => ffi::SQLITE_OK,
    }
}

unsafe extern "C" fn wal_unfetch(
    file: *mut ffi::sqlite3_file,
    offset: i64,
    page: *mut c_void,
) -> c_int {
    match inner_methods(file).xUnfetch {
        Some(unfetch) => unfetch(inner(file), offset, page),
        None => ffi::SQLITE_OK,
    }
}

// The rest is forwarded as it is.

unsafe extern "C" fn wal_lock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    match inner_methods(file).xLock {
        Some(lock) => lock(inner(file), level),
        None => ffi::SQLITE_OK,
    }
}

unsafe extern "C" fn wal_unlock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    match inner_methods(file).xUnlock {
        Some(unlock) => unlock(inner(file), level),
        None => ffi::SQLITE_OK,
    }
}

unsafe extern "C" fn wal_check_reserved_lock(
    file: *mut ffi::sqlite3_file,
    out: *mut c_int,
) -> c_int {
    match inner_methods(file).xCheckReservedLock {
        Some(check) => check(inner(file), out),
        None => {
            *out = 0;
            ffi::SQLITE_OK
        }
    }
}

unsafe extern "C" fn wal_sector_size(file: *mut ffi::sqlite3_file) -> c_int {
    inner_methods(file)
        .xSectorSize
        .map_or(4096, |sector_size| sector_size(inner(file)))
}

unsafe extern "C" fn wal_device_characteristics(file: *mut ffi::sqlite3_file) -> c_int {
    inner_methods(file)
        .xDeviceCharacteristics
        .map_or(0, |characteristics| characteristics(inner(file)))
}

/// The WAL file's methods: writes gathered, everything else forwarded (shared memory is the
/// database file's, so version 3's `xShm*` are never called on a WAL file).
static WAL_METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(wal_close),
    xRead: Some(wal_read),
    xWrite: Some(wal_write),
    xTruncate: Some(wal_truncate),
    xSync: Some(wal_sync),
    xFileSize: Some(wal_file_size),
    xLock: Some(wal_lock),
    xUnlock: Some(wal_unlock),
    xCheckReservedLock: Some(wal_check_reserved_lock),
    xFileControl: Some(wal_file_control),
    xSectorSize: Some(wal_sector_size),
    xDeviceCharacteristics: Some(wal_device_characteristics),
    xShmMap: None,
    xShmLock: None,
    xShmBarrier: None,
    xShmUnmap: None,
    xFetch: Some(wal_fetch),
    xUnfetch: Some(wal_unfetch),
};

#[cfg(test)]
mod tests {
    use std::path::Path;

    use rusqlite::{Connection, OpenFlags};

    /// A table on a new file in WAL mode, made through the default VFS; the file's path.
    fn new_database(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("t.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch(
                "PRAGMA journal_mode = WAL; \
                 CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL); \
                 CREATE INDEX t_v ON t (v);",
            )
            .unwrap();
        path
    }

    fn buffered(path: &Path, synchronous: &str) -> Connection {
        assert!(
            super::name().is_some(),
            "the VFS is registered on this platform"
        );
        let conn = super::open(path, OpenFlags::SQLITE_OPEN_READ_WRITE).unwrap();
        let cache_spill: i64 = conn
            .query_row("PRAGMA cache_spill", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            cache_spill, 0,
            "the buffer relies on transactions never spilling"
        );
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; \
             PRAGMA wal_autocheckpoint = 0;"
        ))
        .unwrap();
        conn
    }

    /// Inserts `rows` rows of ~1 KB in one transaction (many WAL frames each).
    fn insert(conn: &Connection, rows: usize, commit: bool) {
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        let mut insert = conn.prepare_cached("INSERT INTO t (v) VALUES (?)").unwrap();
        for i in 0..rows {
            insert
                .execute([format!("{i:08}{}", "x".repeat(1000))])
                .unwrap();
        }
        conn.execute_batch(if commit { "COMMIT" } else { "ROLLBACK" })
            .unwrap();
    }

    fn count(conn: &Connection) -> i64 {
        conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap()
    }

    fn assert_intact(conn: &Connection) {
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }

    #[test]
    fn another_connection_reads_each_commit_at_once_even_unsynced() {
        let dir = tempfile::tempdir().unwrap();
        let path = new_database(dir.path());
        // `NORMAL` does not sync the WAL at commit: only the commit frame empties the buffer.
        let writer = buffered(&path, "NORMAL");
        let reader = Connection::open(&path).unwrap();
        let mut expected = 0;
        for rows in [1, 3, 40, 7, 200, 2] {
            insert(&writer, rows, true);
            expected += rows as i64;
            assert_eq!(count(&reader), expected);
            assert_intact(&reader);
        }
    }

    #[test]
    fn a_commit_is_in_the_files_when_it_returns() {
        for synchronous in ["FULL", "NORMAL"] {
            let dir = tempfile::tempdir().unwrap();
            let path = new_database(dir.path());
            let writer = buffered(&path, synchronous);
            insert(&writer, 150, true);
            // What a crash right after the commit would leave: the files as they are now.
            let copy = tempfile::tempdir().unwrap();
            for suffix in ["", "-wal"] {
                let name = format!("t.db{suffix}");
                std::fs::copy(dir.path().join(&name), copy.path().join(&name)).unwrap();
            }
            let recovered = Connection::open(copy.path().join("t.db")).unwrap();
            assert_eq!(count(&recovered), 150, "synchronous = {synchronous}");
            assert_intact(&recovered);
        }
    }

    #[test]
    fn large_and_rolled_back_transactions_and_wal_restarts_keep_the_database_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = new_database(dir.path());
        let writer = buffered(&path, "FULL");
        // A page cache far smaller than a transaction (SQLite would spill it to the WAL
        // before the commit, if it could).
        writer.execute_batch("PRAGMA cache_size = 50").unwrap();
        let other = Connection::open(&path).unwrap();
        // Far more frames than the buffer holds, in one transaction.
        insert(&writer, 3_000, true);
        // A large transaction rolled back; then another connection commits more frames than
        // that one wrote, where they would have gone; then the buffered one again.
        insert(&writer, 2_000, false);
        insert(&other, 3_000, true);
        insert(&writer, 25, true);
        assert_eq!(count(&other), 6_025);
        // The WAL starts over from its first frame after a complete checkpoint.
        let (busy, _, _): (i64, i64, i64) = other
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!(busy, 0);
        insert(&writer, 500, true);
        insert(&other, 1, true);
        insert(&writer, 5, true);
        assert_eq!(count(&other), 6_531);
        assert_eq!(count(&writer), 6_531);
        assert_intact(&other);
        drop(writer);
        drop(other);
        let reopened = Connection::open(&path).unwrap();
        assert_eq!(count(&reopened), 6_531);
        assert_intact(&reopened);
    }
}
