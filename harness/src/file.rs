//! Files written atomically: a crash leaves the old file or the new one, never a mix.
//!
//! Each write goes to a temporary file in the same directory, is flushed to disk (`fsync`),
//! and is renamed over the target; the directory is synced after the rename so the rename
//! itself survives a crash. Directories of outputs are built the same way: in a temporary
//! sibling directory, renamed into place when complete.
//!
//! Reads are bounded by the bytes actually read ([`read_limited`]), never by the size a file
//! states: a pipe, `/dev/stdin` or `/dev/zero` states none (or 0), so a stated-size check lets
//! them fill the memory.

use std::fs;
use std::io::{Read as _, Write};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = parent_dir(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(".harness-tmp-")
        .tempfile_in(&dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(&dir);
    Ok(())
}

/// The largest password file read: a password is one line, so a few KiB is generous.
pub const MAX_PASSWORD_FILE_BYTES: u64 = 4096;

/// Why a bounded read failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// More than `limit` bytes were there to read (only `limit + 1` were read).
    #[error("more than {limit} bytes (the limit), refused")]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The file is not UTF-8 text (password files).
    #[error("not UTF-8 text")]
    NotText,
    /// An I/O error.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Reads `path` (a file, pipe or device such as `/dev/stdin`) whole, refusing it once more
/// than `limit` bytes were read: at most `limit + 1` bytes are ever read and held.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let file = fs::File::open(path)?;
    // A regular file's stated size sizes the buffer (capped by the limit); a pipe's is 0.
    let hint = file.metadata().map(|m| m.len()).unwrap_or(0).min(limit + 1);
    let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(bytes)
}

/// The first line of a password file (at most [`MAX_PASSWORD_FILE_BYTES`], UTF-8), without
/// its line ending.
pub fn read_password_file(path: &Path) -> Result<String, ReadError> {
    let bytes = read_limited(path, MAX_PASSWORD_FILE_BYTES)?;
    let text = String::from_utf8(bytes).map_err(|_| ReadError::NotText)?;
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

/// A directory being filled in a temporary sibling, moved into place by [`StagedDir::commit`].
/// Dropped without commit, it is removed: no half-written output directory is left behind.
#[derive(Debug)]
pub struct StagedDir {
    staging: tempfile::TempDir,
    target: PathBuf,
}

impl StagedDir {
    /// Starts staging `target`. Fails if `target` exists, is not empty, and `replace` is false.
    pub fn new(target: &Path, replace: bool) -> Result<Self, StageError> {
        if target.exists() {
            let empty = fs::read_dir(target)
                .map(|mut entries| entries.next().is_none())
                .unwrap_or(false);
            if !empty && !replace {
                return Err(StageError::NotEmpty {
                    path: target.to_owned(),
                });
            }
        }
        let dir = parent_dir(target);
        fs::create_dir_all(&dir).map_err(|source| StageError::Io {
            path: dir.clone(),
            source,
        })?;
        let staging = tempfile::Builder::new()
            .prefix(".harness-staging-")
            .tempdir_in(&dir)
            .map_err(|source| StageError::Io {
                path: dir.clone(),
                source,
            })?;
        Ok(Self {
            staging,
            target: target.to_owned(),
        })
    }

    /// The staging directory to write into.
    pub fn path(&self) -> &Path {
        self.staging.path()
    }

    /// Writes one file into the staging directory.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<(), StageError> {
        let path = self.staging.path().join(name);
        let io = |source| StageError::Io {
            path: self.target.join(name),
            source,
        };
        let mut file = fs::File::create(&path).map_err(io)?;
        file.write_all(bytes).map_err(io)?;
        file.sync_all().map_err(io)
    }

    /// Moves the staged directory into place, replacing an existing target.
    pub fn commit(self) -> Result<PathBuf, StageError> {
        let io = |source| StageError::Io {
            path: self.target.clone(),
            source,
        };
        let staged = self.staging.keep();
        if self.target.exists() {
            fs::remove_dir_all(&self.target).map_err(io)?;
        }
        if let Err(source) = fs::rename(&staged, &self.target) {
            let _ = fs::remove_dir_all(&staged);
            return Err(io(source));
        }
        sync_dir(&parent_dir(&self.target));
        Ok(self.target)
    }
}

/// Why a staged directory could not be written.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    /// The target holds files and replacing was not asked for.
    #[error("output directory `{path}` exists and is not empty (pass --force to replace it)")]
    NotEmpty {
        /// The directory.
        path: PathBuf,
    },
    /// An I/O error.
    #[error("cannot write `{path}`")]
    Io {
        /// What was being written.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

fn sync_dir(dir: &Path) {
    // Best effort: some file systems refuse fsync on directories; the data is synced already.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}
