//! The plans' files in a local folder (the domain's [`FileStore`]): each
//! under a random id, never a name a client chose, written to a temporary
//! file and renamed once complete, readable by the service user only.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use domain::StorageError;
use domain::shop::download::{FileRead, FileStore, FileUpload, StoredFile};
use rand::Rng as _;
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Bytes read at a time when a file is streamed.
const CHUNK: usize = 64 * 1024;

fn io(context: &'static str) -> impl Fn(std::io::Error) -> StorageError {
    move |e| StorageError::new(context, e)
}

/// Whether `id` is one this store makes (32 lower-case hex digits): a
/// tampered row cannot name a path outside the folder.
fn valid_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Files in a folder.
#[derive(Debug, Clone)]
pub struct LocalFiles {
    dir: PathBuf,
}

impl LocalFiles {
    /// The files under `dir` (created, private, on the first upload).
    #[must_use]
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// The folder.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, id: &str) -> Option<PathBuf> {
        valid_id(id).then(|| self.dir.join(id))
    }

    async fn ensure_dir(&self) -> std::io::Result<()> {
        let mut folder = tokio::fs::DirBuilder::new();
        folder.recursive(true);
        #[cfg(unix)]
        folder.mode(0o700);
        folder.create(&self.dir).await?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = tokio::fs::metadata(&self.dir).await?.permissions().mode();
            if mode & 0o077 != 0 {
                tokio::fs::set_permissions(
                    &self.dir,
                    std::fs::Permissions::from_mode(mode & 0o700),
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// A file being written: `.<id>.part` until finished, removed if dropped
/// before.
struct LocalUpload {
    id: String,
    part: PathBuf,
    done: PathBuf,
    file: Option<tokio::fs::File>,
    hash: Sha256,
    written: u64,
}

impl Drop for LocalUpload {
    fn drop(&mut self) {
        if self.file.is_some() {
            // Unfinished: nothing refers to it.
            let _ = std::fs::remove_file(&self.part);
        }
    }
}

#[async_trait]
impl FileUpload for LocalUpload {
    async fn write(&mut self, chunk: &[u8]) -> Result<(), StorageError> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| StorageError::msg("the file was finished already"))?;
        file.write_all(chunk)
            .await
            .map_err(io("failed to write a file"))?;
        self.hash.update(chunk);
        self.written += chunk.len() as u64;
        Ok(())
    }

    fn written(&self) -> u64 {
        self.written
    }

    async fn finish(mut self: Box<Self>) -> Result<StoredFile, StorageError> {
        let mut file = self
            .file
            .take()
            .ok_or_else(|| StorageError::msg("the file was finished already"))?;
        let synced = async {
            file.flush().await?;
            file.sync_all().await?;
            drop(file);
            tokio::fs::rename(&self.part, &self.done).await
        }
        .await;
        if let Err(e) = synced {
            let _ = tokio::fs::remove_file(&self.part).await;
            return Err(StorageError::new("failed to store a file", e));
        }
        Ok(StoredFile {
            id: self.id.clone(),
            size: self.written,
            sha256: hex(&std::mem::take(&mut self.hash).finalize()),
        })
    }
}

/// A file being read.
struct LocalRead {
    file: tokio::fs::File,
}

#[async_trait]
impl FileRead for LocalRead {
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, StorageError> {
        let mut buf = vec![0u8; CHUNK];
        let n = self
            .file
            .read(&mut buf)
            .await
            .map_err(io("failed to read a file"))?;
        if n == 0 {
            return Ok(None);
        }
        buf.truncate(n);
        Ok(Some(buf))
    }
}

#[async_trait]
impl FileStore for LocalFiles {
    async fn create(&self) -> Result<Box<dyn FileUpload>, StorageError> {
        self.ensure_dir()
            .await
            .map_err(io("failed to create the files folder"))?;
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        let id = hex(&bytes);
        let part = self.dir.join(format!(".{id}.part"));
        let done = self.dir.join(&id);
        let mut options = tokio::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        options.mode(0o600);
        let file = options
            .open(&part)
            .await
            .map_err(io("failed to create a file"))?;
        Ok(Box::new(LocalUpload {
            id,
            part,
            done,
            file: Some(file),
            hash: Sha256::new(),
            written: 0,
        }))
    }

    async fn open(&self, id: &str) -> Result<Option<Box<dyn FileRead>>, StorageError> {
        let Some(path) = self.path(id) else {
            return Ok(None);
        };
        match tokio::fs::File::open(&path).await {
            Ok(file) => Ok(Some(Box::new(LocalRead { file }))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StorageError::new("failed to open a file", e)),
        }
    }

    async fn delete(&self, id: &str) -> Result<(), StorageError> {
        let Some(path) = self.path(id) else {
            return Ok(());
        };
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StorageError::new("failed to delete a file", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_all(r: &mut Box<dyn FileRead>) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(c) = r.next_chunk().await.unwrap() {
            out.extend_from_slice(&c);
        }
        out
    }

    #[tokio::test]
    async fn files_are_written_whole_read_back_and_deleted() {
        let dir = tempfile_dir();
        let files = LocalFiles::new(dir.join("files"));
        let mut up = files.create().await.unwrap();
        let big = vec![7u8; CHUNK * 2 + 5];
        up.write(b"%PDF-1.7 ").await.unwrap();
        up.write(&big).await.unwrap();
        assert_eq!(up.written(), 9 + big.len() as u64);
        let stored = up.finish().await.unwrap();
        assert_eq!(stored.size, 9 + big.len() as u64);
        assert_eq!(stored.sha256.len(), 64);
        let mut r = files.open(&stored.id).await.unwrap().unwrap();
        let back = read_all(&mut r).await;
        assert_eq!(&back[..9], b"%PDF-1.7 ");
        assert_eq!(back.len(), 9 + big.len());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(files.dir()), 0o700);
            assert_eq!(mode(&files.dir().join(&stored.id)), 0o600);
        }
        files.delete(&stored.id).await.unwrap();
        files.delete(&stored.id).await.unwrap();
        assert!(files.open(&stored.id).await.unwrap().is_none());

        // An upload dropped before it is finished leaves nothing.
        let mut up = files.create().await.unwrap();
        up.write(b"half").await.unwrap();
        drop(up);
        assert_eq!(std::fs::read_dir(files.dir()).unwrap().count(), 0);
        // Ids that are not the store's name nothing.
        assert!(files.open("../../etc/passwd").await.unwrap().is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("boutique-files-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
