//! Files that hold a secret (the intake's pepper, the office keyring, a pull secret): written readable by the
//! owner only, in one piece, never half-written. Shared by the intake and the office, so it lives here rather than
//! with the keyring; it knows nothing of what the bytes are.
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::{CryptoError, Result};
use crate::secret::random_array;

/// Writes `bytes` to `path` readable by the owner only, through a temporary file in the same directory and a
/// rename. Without `replace`, an existing file is [`CryptoError::FileExists`] (checked at the last moment with a
/// hard link, which fails rather than overwrite). Other failures are [`CryptoError::Io`]; callers name the file.
pub fn write_private_file(path: &Path, bytes: &[u8], replace: bool) -> Result<()> {
    let exists = || CryptoError::FileExists {
        path: path.to_path_buf(),
    };
    if !replace && path.exists() {
        return Err(exists());
    }
    let directory = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary: PathBuf = directory.join(format!(
        ".{file_name}.{}.tmp",
        hex::encode(random_array::<6>())
    ));
    let result = (|| -> Result<()> {
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        if replace {
            fs::rename(&temporary, path)?;
        } else {
            match fs::hard_link(&temporary, path) {
                Ok(()) => {}
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                    return Err(exists());
                }
                Err(error) => return Err(error.into()),
            }
        }
        if let Ok(directory) = fs::File::open(directory) {
            // Makes the rename durable; not all platforms allow syncing a directory, hence no error.
            let _ = directory.sync_all();
        }
        Ok(())
    })();
    let _ = fs::remove_file(&temporary);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_owner_only_refuses_to_overwrite_and_leaves_no_temporary() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("pepper");
        write_private_file(&path, b"first\n", false).unwrap();
        assert!(matches!(
            write_private_file(&path, b"second\n", false),
            Err(CryptoError::FileExists { .. })
        ));
        assert_eq!(fs::read(&path).unwrap(), b"first\n");
        write_private_file(&path, b"third\n", true).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"third\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert_eq!(fs::read_dir(directory.path()).unwrap().count(), 1);
    }
}
