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

/// The longest file name most file systems take (ext4, XFS, APFS, NTFS: 255 bytes).
pub const MAX_FILE_NAME_BYTES: usize = 255;

/// Why an output file was not written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The file exists and replacing was not asked for.
    #[error("output `{path}` exists (pass --force to replace it)")]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// The output is one of the command's inputs.
    #[error("output `{path}` is an input of this command: an input is never written over")]
    IsInput {
        /// The file.
        path: PathBuf,
    },
    /// An I/O error.
    #[error("cannot write `{path}`")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Whether `a` and `b` name the same existing file (same device and inode on Unix; equal
/// canonical paths elsewhere).
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        if let (Ok(a), Ok(b)) = (fs::metadata(a), fs::metadata(b)) {
            return a.dev() == b.dev() && a.ino() == b.ino();
        }
        false
    }
    #[cfg(not(unix))]
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Writes every `(path, bytes)` atomically, all or nothing: each must not be one of
/// `inputs`, nor exist unless `force`. Every file is first written in full to a temporary
/// sibling; then they are renamed into place (without `force`, a rename never replaces a
/// file that appeared meanwhile). When a rename fails, the files already placed are removed
/// again. `mode` sets the permissions on Unix (0o600 for private keys); `None` keeps the
/// umask's.
pub fn write_outputs(
    files: &[(PathBuf, Vec<u8>)],
    force: bool,
    inputs: &[&Path],
    mode: Option<u32>,
) -> Result<(), OutputError> {
    for (path, _) in files {
        if inputs.iter().any(|input| same_file(input, path)) {
            return Err(OutputError::IsInput { path: path.clone() });
        }
        if !force && fs::symlink_metadata(path).is_ok() {
            return Err(OutputError::Exists { path: path.clone() });
        }
    }
    let mut staged = Vec::with_capacity(files.len());
    for (path, bytes) in files {
        let io = |source| OutputError::Io {
            path: path.clone(),
            source,
        };
        let dir = parent_dir(path);
        let mut tmp = tempfile::Builder::new()
            .prefix(".harness-tmp-")
            .tempfile_in(&dir)
            .map_err(io)?;
        set_mode(tmp.as_file(), mode).map_err(io)?;
        tmp.write_all(bytes).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        staged.push((path, tmp));
    }
    let mut placed: Vec<&PathBuf> = Vec::new();
    for (path, tmp) in staged {
        let result = if force {
            tmp.persist(path).map(drop)
        } else {
            tmp.persist_noclobber(path).map(drop)
        };
        if let Err(e) = result {
            for done in placed {
                let _ = fs::remove_file(done);
            }
            let error = if !force && e.error.kind() == std::io::ErrorKind::AlreadyExists {
                OutputError::Exists { path: path.clone() }
            } else {
                OutputError::Io {
                    path: path.clone(),
                    source: e.error,
                }
            };
            return Err(error);
        }
        placed.push(path);
        sync_dir(&parent_dir(path));
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically with `mode` (Unix permissions, e.g. 0o600 for private
/// keys), whatever the umask.
pub fn write_atomic_mode(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let dir = parent_dir(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(".harness-tmp-")
        .tempfile_in(&dir)?;
    set_mode(tmp.as_file(), Some(mode))?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(&dir);
    Ok(())
}

/// The mode bits of an existing file (Unix), to keep them when the file is rewritten.
pub fn existing_mode(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        fs::metadata(path)
            .ok()
            .map(|m| m.permissions().mode() & 0o7777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

fn set_mode(file: &fs::File, mode: Option<u32>) -> std::io::Result<()> {
    #[cfg(unix)]
    if let Some(mode) = mode {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = (file, mode);
    Ok(())
}

/// `stem + suffix` when that fits in [`MAX_FILE_NAME_BYTES`]; otherwise `stem` cut (at a
/// character boundary) and followed by `-` and 12 hex digits of its SHA-256, so distinct long
/// stems stay distinct, then `suffix`. The flag says whether it was shortened.
pub fn fit_file_name(stem: &str, suffix: &str) -> (String, bool) {
    if stem.len() + suffix.len() <= MAX_FILE_NAME_BYTES {
        return (format!("{stem}{suffix}"), false);
    }
    use sha2::Digest as _;
    let hash = crate::cert::lower_hex(&sha2::Sha256::digest(stem.as_bytes()));
    let room = MAX_FILE_NAME_BYTES.saturating_sub(suffix.len() + 13);
    let mut cut = room.min(stem.len());
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    (format!("{}-{}{suffix}", &stem[..cut], &hash[..12]), true)
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
        self.write_file(name, bytes, None)
    }

    /// Writes one file only its owner may read or write (0600 on Unix, whatever the umask):
    /// for private keys and keystores holding them.
    pub fn write_private(&self, name: &str, bytes: &[u8]) -> Result<(), StageError> {
        self.write_file(name, bytes, Some(0o600))
    }

    fn write_file(&self, name: &str, bytes: &[u8], mode: Option<u32>) -> Result<(), StageError> {
        let path = self.staging.path().join(name);
        let io = |source| StageError::Io {
            path: self.target.join(name),
            source,
        };
        let mut options = fs::File::options();
        options.write(true).create_new(true);
        #[cfg(unix)]
        if let Some(mode) = mode {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(mode);
        }
        let mut file = options.open(&path).map_err(io)?;
        // `mode` above is filtered by the umask, which only removes bits: set it exactly.
        set_mode(&file, mode).map_err(io)?;
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
