//! The tenant lock: one writer at a time (see the store module's "One writer at a time").

use std::fs::{File, TryLockError};
use std::io::{Read as _, Write as _};
use std::path::Path;
use std::time::{Duration, Instant};

use super::error::TenantError;

/// The lock file every save of a tenant holds (exclusively); it holds the holder's process id.
pub const LOCK_FILE: &str = ".tenant.lock";
/// How long an operation waits for another process's save before giving up with
/// [`TenantError::Busy`].
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(120);

/// An exclusive lock on a tenant directory (`DIR/.tenant.lock`), released when dropped.
#[derive(Debug)]
pub struct TenantLock {
    file: File,
}

impl TenantLock {
    /// Takes the lock on the tenant in `dir`, waiting at most `timeout`. When another process
    /// holds it, `on_wait` is called once with who holds it (`pid N`) before waiting.
    pub fn acquire(
        dir: &Path,
        timeout: Duration,
        on_wait: &mut dyn FnMut(&str),
    ) -> Result<TenantLock, TenantError> {
        let path = dir.join(LOCK_FILE);
        let io = |source| TenantError::Io {
            path: path.clone(),
            source,
        };
        let mut file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        let start = Instant::now();
        let mut pause = Duration::from_millis(5);
        let mut told = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {
                    let holder = lock_holder(&path);
                    if !told {
                        on_wait(&holder);
                        told = true;
                    }
                    let waited = start.elapsed();
                    if waited >= timeout {
                        return Err(TenantError::Busy {
                            path: dir.to_owned(),
                            holder,
                            waited_secs: waited.as_secs(),
                        });
                    }
                    // Polling: std offers no lock with a timeout. Backs off to 100 ms.
                    std::thread::sleep(pause.min(timeout - waited));
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                Err(TryLockError::Error(source)) => return Err(io(source)),
            }
        }
        // Say who holds it, for the message of a process that waits (best effort).
        let _ = file
            .set_len(0)
            .and_then(|()| file.write_all(format!("{}\n", std::process::id()).as_bytes()));
        Ok(TenantLock { file })
    }
}

impl Drop for TenantLock {
    fn drop(&mut self) {
        // Released on close; emptied first so a stale pid is never reported.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// `pid N` from the lock file, or `another process` when it names none.
fn lock_holder(path: &Path) -> String {
    let mut text = String::new();
    let read = File::open(path).and_then(|f| f.take(32).read_to_string(&mut text));
    match read.ok().and_then(|_| text.trim().parse::<u32>().ok()) {
        Some(pid) => format!("pid {pid}"),
        None => "another process".to_owned(),
    }
}
